"""Web pages: the playground at / and the results dashboard at /runs (HTML by content negotiation)."""
