"""POST /generate: text from a built-in language model, one token at a time."""
