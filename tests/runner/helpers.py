"""Small builders shared by the runner tests."""

from service.db.models import METRICS


def make_run_values(**overrides) -> dict:
    """Column values for a plausible Run row."""
    values = dict(
        name="t", status="running", source="zipf:V=10", grid={"temperature": [1.0]},
        samples=10, seed=0, code_version="test", preset="vllm", stage_order=["temperature"],
        top_p_rule="cumsum >= top_p - 1e-9", crn_scheme="test",
        engine="core", n_rows=1, vocab_size=10,
        n_cells=1, chunk_cells=1,
    )
    return values | overrides


def make_cell_values(**overrides) -> dict:
    """Column values for a Cell row: default parameters, every metric 1."""
    values = dict(temperature=1.0, top_p=1.0, top_k=0, min_p=0.0, repetition_penalty=1.0)
    values |= {name: 1 for name in METRICS}
    return values | overrides
