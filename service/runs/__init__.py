"""Sweep runs over REST: list, show, cells with filters, heatmaps."""
