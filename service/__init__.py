"""Logit Lab service: the numpy sampling core and the thin HTTP layer over it."""

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the core never needs Flask: import it only inside create_app
    from flask import Flask

__version__ = "0.1.0"


def _resolve(spec: str) -> Any:
    """Import "package.module:attribute" and return the attribute."""
    module_name, _, attribute = spec.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def create_app(config: Mapping[str, Any] | None = None) -> "Flask":
    """Build the app: config (defaults < LOGITLAB_* env < `config`), Api, init_apps, blueprints."""
    from flask import Flask
    from flask_smorest import Blueprint as ApiBlueprint

    from service import body
    from service import config as settings
    from service.api import LogitLabApi
    from service.blueprints import BLUEPRINTS, INIT_APPS

    app = Flask(__name__)
    app.config.update(settings.load(config))
    app.config.setdefault("API_VERSION", __version__)
    api = LogitLabApi(app)
    app.extensions["logitlab.api"] = api
    for spec in INIT_APPS:
        _resolve(spec)(app)
    body.init_app(app)  # after service.security's token check: no body is read unasked
    for spec in BLUEPRINTS:
        flag = getattr(importlib.import_module(spec.partition(":")[0]), "ENABLED_BY", None)
        if flag and not app.config.get(flag):
            continue
        blueprint = _resolve(spec)
        if isinstance(blueprint, ApiBlueprint):
            api.register_blueprint(blueprint)
        else:
            app.register_blueprint(blueprint)
    return app
