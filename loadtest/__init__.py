"""Locust scenarios for the Logit Lab service (run them with `logitlab loadtest`)."""
