"""GET /loadtests: stored `logitlab loadtest` runs."""
