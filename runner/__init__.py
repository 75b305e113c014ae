"""Logit Lab runner: logits sources, sweeps, statistics, storage and the command line."""
