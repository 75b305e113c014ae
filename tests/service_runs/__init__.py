"""Tests of the /runs REST endpoints."""
