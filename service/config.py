"""Configuration: defaults, then `LOGITLAB_*` environment variables, then an explicit mapping."""

import os
from collections.abc import Mapping
from typing import Any

MiB = 1024 * 1024

# Every key here can be set as LOGITLAB_<KEY>; the default's type decides how it is parsed.
DEFAULTS: dict[str, Any] = {
    "MAX_CONTENT_LENGTH": 64 * MiB,  # Flask's own key: larger bodies get a 413
    "MAX_VOCAB": 262_144,
    "MAX_BATCH": 256,
    "MAX_N": 10_000,
    "MAX_CONTEXT": 32_768,
    "MAX_LOGPROBS": 1_000,
    "MAX_PROBS": 4_194_304,  # B x V values a return_probs response may carry
    "API_TOKEN": "",  # when set, every endpoint but /healthz and the docs needs a bearer token
    "CORS_ORIGINS": [],  # comma-separated in the environment; empty = CORS off
    "ENABLE_ECHO": False,  # POST /echo, the benchmark baseline; off in production
    "LOG_LEVEL": "INFO",
    "MAX_TOKENS": 1024,  # /generate and /v1/*: largest max_tokens
    "MAX_GENERATE_N": 16,  # /generate and /v1/*: largest n
    "MODELS": [],  # extra model names served besides ngram-pydoc, e.g. hf:/models/gpt2
    "ALLOW_MODEL_PATHS": False,  # let requests name any ngram:PATH / hf:PATH on this machine
}

# flask-smorest settings: /openapi.json and Swagger UI at /docs, assets served locally.
API_SETTINGS: dict[str, Any] = {
    "API_TITLE": "Logit Lab",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "/docs",
    "OPENAPI_SWAGGER_UI_URL": "/docs/assets/",
    "OPENAPI_SWAGGER_UI_CONFIG": {"validatorUrl": None},  # no call to an online validator
}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def parse_value(key: str, raw: str, default: Any) -> Any:
    """Parse one environment string by the type of its default; ValueError names the variable."""
    text = raw.strip()
    if isinstance(default, bool):
        if text.lower() in _TRUE | _FALSE:
            return text.lower() in _TRUE
        raise ValueError(f"LOGITLAB_{key} must be a boolean (1/0, true/false), got {raw!r}")
    if isinstance(default, int):
        try:
            value = int(text)
        except ValueError:
            raise ValueError(f"LOGITLAB_{key} must be an integer, got {raw!r}") from None
        if value < 1:
            raise ValueError(f"LOGITLAB_{key} must be positive, got {value}")
        return value
    if isinstance(default, list):
        return [item.strip() for item in text.split(",") if item.strip()]
    return text


def from_env(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The `LOGITLAB_<KEY>` variables: known keys parsed by type, other keys as text."""
    environ = os.environ if environ is None else environ
    found: dict[str, Any] = {}
    for name, raw in environ.items():
        if name.startswith("LOGITLAB_") and len(name) > len("LOGITLAB_"):
            key = name.removeprefix("LOGITLAB_")
            found[key] = parse_value(key, raw, DEFAULTS.get(key, ""))
    return found


def load(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Defaults, then the environment, then `overrides` (highest priority)."""
    settings = {**API_SETTINGS, **DEFAULTS, **from_env()}
    settings.update(overrides or {})
    if isinstance(settings["CORS_ORIGINS"], str):
        settings["CORS_ORIGINS"] = parse_value("CORS_ORIGINS", settings["CORS_ORIGINS"], [])
    return settings
