"""The next-token loop: a model's logits, the sampling core per step, stops and streaming."""
