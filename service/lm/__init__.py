"""Built-in language models: logits sources for generation and sweeps."""
