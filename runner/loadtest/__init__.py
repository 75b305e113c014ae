"""`logitlab loadtest`: locust runs against the service, their verdicts and stored results."""
