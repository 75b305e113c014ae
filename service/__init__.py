"""Logit Lab service: the numpy sampling core and the thin HTTP layer over it."""

__version__ = "0.1.0"
