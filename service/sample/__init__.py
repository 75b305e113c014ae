"""POST /sample: sample tokens from caller-supplied logits."""
