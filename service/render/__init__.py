"""POST /render: a chat through a prompt template, as the model would read it."""
