"""GET /healthz: liveness and version."""
