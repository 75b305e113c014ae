"""Interactive API docs: Swagger UI's files served from the installed package, no CDN."""
