"""Benchmark helpers served by the app (off unless enabled)."""
