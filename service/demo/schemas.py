"""Schemas of POST /demo/linear."""

import marshmallow as ma
from marshmallow.validate import Range

from service.bounded import FewUnknown
from service.sample.fields import Int
from service.sample.schemas import MAX_SEED


class LinearDemoRequestSchema(FewUnknown):
    """Training settings; every one has a default."""

    seed = Int(load_default=0, validate=Range(0, MAX_SEED))
    epochs = Int(load_default=2000, validate=Range(1, 20_000))
    hidden = Int(load_default=16, validate=Range(1, 256))
    learning_rate = ma.fields.Float(load_default=0.01, validate=Range(1e-6, 1.0))
    x = ma.fields.Float(load_default=50.0, allow_nan=False, validate=Range(-1e6, 1e6),
                        metadata={"description": "where to predict y"})


class LinearDemoResultSchema(ma.Schema):
    """The network's prediction next to the exact line, and the loss curve."""

    seed = Int(required=True)
    epochs = Int(required=True)
    hidden = Int(required=True)
    learning_rate = ma.fields.Float(required=True)
    x = ma.fields.Float(required=True)
    mlp_prediction = ma.fields.Float(required=True)
    exact = ma.fields.Float(required=True, metadata={"description": "2x + 3"})
    lstsq_slope = ma.fields.Float(required=True)
    lstsq_intercept = ma.fields.Float(required=True)
    lstsq_prediction = ma.fields.Float(required=True)
    final_loss = ma.fields.Float(required=True, metadata={"description": "MSE over the data"})
    losses = ma.fields.List(ma.fields.List(ma.fields.Float()), required=True,
                            metadata={"description": "[epoch, MSE] checkpoints"})
    run_id = Int(allow_none=True, metadata={"description": "the stored run"})
