"""Web pages: the playground at / and the results dashboard (HTML views of /runs)."""
