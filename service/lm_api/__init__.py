"""POST /lm/next and GET /lm/{model}/vocab: a built-in model's raw next-token logits."""
