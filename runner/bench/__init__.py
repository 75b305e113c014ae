"""`logitlab bench`: the sampling core against transformers, naive numpy and the exp floor."""
