"""Which models a request may name, loaded through the registry; failures are 422s here."""

import marshmallow as ma
from flask import current_app

from service.lm.base import LanguageModel
from service.lm.registry import DEFAULT_MODEL, UnknownModelError, load_model


class ModelNotFoundError(LookupError):
    """A request named a model this server does not serve (`reason` None), or cannot load."""

    def __init__(self, name: str, reason: str | None = None):
        self.name, self.reason = name, reason
        super().__init__(reason or (
            f"unknown model {name!r}; this server serves {served_models()} "
            "(LOGITLAB_MODELS adds more, LOGITLAB_ALLOW_MODEL_PATHS allows any path)"))


def served_models() -> list[str]:
    """The default model and the ones configured with LOGITLAB_MODELS."""
    return [DEFAULT_MODEL, *(m for m in current_app.config["MODELS"] if m != DEFAULT_MODEL)]


def find_model(name: str) -> LanguageModel:
    """Load `name` if this server serves it; ModelNotFoundError otherwise."""
    allowed = name in served_models() or current_app.config["ALLOW_MODEL_PATHS"]
    if not allowed:
        raise ModelNotFoundError(name)
    try:
        return load_model(name)
    except UnknownModelError as error:
        raise ModelNotFoundError(name, str(error)) from None


def model_for_request(name: str, field: str = "model") -> LanguageModel:
    """Load `name` if this server serves it; anything else is a 422 naming `field`."""
    try:
        return find_model(name)
    except ModelNotFoundError as error:
        raise ma.ValidationError({field: [str(error)]}) from None
