"""What the app factory wires in: extension initialisers and one blueprint per resource."""

# "module:function" called as function(app), in order, before any blueprint is registered.
# The Api itself (and with it the problem+json error handlers) is created by the factory.
INIT_APPS = [
    "service.jsonio:init_app",
    "service.logging:init_app",
    "service.security:init_app",
    "service.db:init_app",
]

# "module:attribute" of each blueprint. flask-smorest blueprints go into /openapi.json,
# plain Flask blueprints (the docs assets) do not.
BLUEPRINTS = [
    "service.health.routes:blp",
    "service.sample.routes:blp",
    "service.docs.routes:blp",
    "service.bench.routes:blp",
    "service.runs.routes:blp",
    "service.loadtests.routes:blp",
    "service.generate.routes:blp",
    "service.render.routes:blp",
    "service.lm_api.routes:blp",
    "service.openai_compat.routes:blp",
    "service.demo.routes:blp",
    "service.web.routes:bp",
]
