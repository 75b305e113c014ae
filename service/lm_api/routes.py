"""POST /lm/next: next-token logits of a built-in model; GET /lm/{model}/vocab: token texts."""

from typing import Any

import marshmallow as ma
import numpy as np
from flask import Response, current_app

from service import jsonio
from service.api import Blueprint
from service.generate.access import model_for_request
from service.generate.prepare import encode_within, render_messages
from service.lm_api.schemas import NextRequestSchema, NextResponseSchema, VocabSchema

blp = Blueprint("lm", __name__, description="A built-in language model's next-token logits.")


def _json(body: dict[str, Any]) -> Response:
    return Response(jsonio.dumps_bytes(body), mimetype="application/json")


def top_tokens(model: Any, logits: np.ndarray, count: int) -> list[dict[str, Any]]:
    """The `count` most likely tokens, ties by id, with their logits and probabilities."""
    order = np.lexsort((np.arange(len(logits)), -logits))[:count]
    shifted = np.exp(logits - logits.max())
    probs = shifted / shifted.sum()
    texts = model.token_strings(order.tolist())
    return [{"token": int(t), "text": s, "logit": float(logits[t]), "prob": float(probs[t])}
            for t, s in zip(order, texts, strict=True)]


@blp.route("/lm/next", methods=["POST"])
@blp.arguments(NextRequestSchema)
@blp.response(200, NextResponseSchema)
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def next_view(args: dict[str, Any]) -> Response:
    """Tokenize the context and return the model's logits for the next token (all V)."""
    model = model_for_request(args["model"])
    text, field = args.get("text"), "text"
    if text is None:
        text, field = render_messages(args, model)[0], "messages"
    ids = encode_within(model, text, current_app.config["MAX_CONTEXT"], field)
    own_limit, reads = getattr(model, "max_context", None), getattr(model, "reads", None)
    read = len(reads(ids)) if reads is not None else len(ids)
    if own_limit is not None and read > own_limit:
        message = f"{read} tokens: {model.name} reads at most {own_limit} positions"
        raise ma.ValidationError({field: [message]})
    logits = model.logits([ids])[0]
    listed = [None if v == -np.inf else v for v in logits.tolist()]
    return _json({"model": model.name, "text": text, "token_ids": ids,
                  "tokens": model.token_strings(ids), "vocab_size": model.vocab_size,
                  "logits": listed, "top": top_tokens(model, logits, args["top"])})


@blp.route("/lm/<path:model>/vocab", methods=["GET"])
@blp.response(200, VocabSchema)
@blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
def vocab_view(model: str) -> Response:
    """Every token's text by id, to label a logits vector."""
    lm = model_for_request(model)
    return _json({"model": lm.name, "vocab_size": lm.vocab_size,
                  "tokens": lm.token_strings(range(lm.vocab_size))})
