"""Migration scripts, applied in order by `logitlab db upgrade`."""
