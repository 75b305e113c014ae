"""Marshmallow schemas for stored load tests and the /loadtests query arguments."""

from __future__ import annotations

import marshmallow as ma

MAX_LIMIT = 1000
_NUMBER = {"allow_none": True}


class LatencySchema(ma.Schema):
    """Latency percentiles, mean and maximum in milliseconds (null when nothing completed)."""

    p50_ms = ma.fields.Float(**_NUMBER)
    p95_ms = ma.fields.Float(**_NUMBER)
    p99_ms = ma.fields.Float(**_NUMBER)
    avg_ms = ma.fields.Float(**_NUMBER)
    max_ms = ma.fields.Float(**_NUMBER)


class EndpointSchema(LatencySchema):
    """One request name's numbers within a run (locust's per-name stats row)."""

    method = ma.fields.String(allow_none=True)
    name = ma.fields.String(required=True)
    requests = ma.fields.Integer(required=True)
    failures = ma.fields.Integer(required=True)
    rps = ma.fields.Float(required=True)


class LoadTestSchema(LatencySchema):
    """One load-test run: scenario, configuration, numbers (ms, req/s), checks and versions."""

    id = ma.fields.Integer(required=True)
    created_at = ma.fields.DateTime(required=True)
    scenario = ma.fields.String(required=True, metadata={"example": "small-json"})
    host = ma.fields.String(required=True)
    self_hosted = ma.fields.Boolean(required=True,
                                    metadata={"description": "the command started the server"})
    users = ma.fields.Integer(required=True)
    spawn_rate = ma.fields.Float(required=True)
    duration_s = ma.fields.Float(required=True)
    workers = ma.fields.Integer(allow_none=True)
    config = ma.fields.Dict(keys=ma.fields.String(), metadata={
        "description": "pacing, request bound, baseline settings, thresholds, cores"})
    requests = ma.fields.Integer(required=True)
    failures = ma.fields.Integer(required=True)
    failure_ratio = ma.fields.Float(required=True)
    rps = ma.fields.Float(required=True)
    endpoints = ma.fields.List(ma.fields.Nested(EndpointSchema))
    failure_messages = ma.fields.List(ma.fields.Dict(keys=ma.fields.String()))
    baseline = ma.fields.Dict(keys=ma.fields.String(), allow_none=True,
                              metadata={"description": "the echo run of the same invocation"})
    baseline_rps = ma.fields.Float(**_NUMBER)
    baseline_ratio = ma.fields.Float(**_NUMBER, metadata={"description": "rps / baseline rps"})
    rss = ma.fields.Dict(keys=ma.fields.String(), allow_none=True,
                         metadata={"description": "per-worker RSS after warm-up and at the end"})
    rss_growth_pct = ma.fields.Float(**_NUMBER)
    fault = ma.fields.Dict(keys=ma.fields.String(), allow_none=True,
                           metadata={"description": "killed worker, replaced, failed requests"})
    passed = ma.fields.Boolean(required=True)
    problems = ma.fields.List(ma.fields.String())
    code_version = ma.fields.String(required=True)
    locust_version = ma.fields.String(required=True)
    csv_dir = ma.fields.String(allow_none=True)


class LoadTestArgsSchema(ma.Schema):
    """limit/offset pagination and an optional scenario filter."""

    scenario = ma.fields.String(metadata={"description": "only this scenario's runs"})
    limit = ma.fields.Integer(load_default=100, validate=ma.validate.Range(1, MAX_LIMIT))
    offset = ma.fields.Integer(load_default=0, validate=ma.validate.Range(0, 2**31))


class LoadTestPageSchema(ma.Schema):
    """One page of load tests, newest first."""

    total = ma.fields.Integer(required=True)
    limit = ma.fields.Integer(required=True)
    offset = ma.fields.Integer(required=True)
    items = ma.fields.List(ma.fields.Nested(LoadTestSchema), required=True)
