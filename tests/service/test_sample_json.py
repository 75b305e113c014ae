"""POST /sample with JSON bodies: results are exactly the core's, every option round-trips."""

import json

import numpy as np
import pytest

from service.sampling import sample
from tests.service.helpers import assert_problem, logits

BASE_KEYS = {"tokens", "logprobs", "kept", "entropy", "seed"}


def post(client, body, query="", **kwargs):
    return client.post(f"/sample{query}", json=body, **kwargs)


def test_one_row_matches_the_core(client):
    row = logits(1, 50)[0].tolist()
    response = post(client, {"logits": row, "seed": 7})
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == BASE_KEYS
    assert body == sample(np.asarray(row), seed=7).to_dict()
    assert body["seed"] == [7]
    assert len(body["tokens"]) == 1 and len(body["tokens"][0]) == 1


def test_batch_with_per_row_parameters(client):
    rows = logits(3, 40, seed=1)
    params = {"temperature": [0, 1.0, 0.5], "top_k": 5, "n": 4, "seed": [1, 2, 3],
              "top_p": [1.0, 0.9, 0.8]}
    response = post(client, {"logits": rows.tolist(), **params})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body == sample(rows.astype(np.float64), **params).to_dict()
    assert body["tokens"][0] == [int(np.argmax(rows[0]))] * 4
    assert [len(t) for t in body["tokens"]] == [4, 4, 4]


def test_null_is_a_masked_token(client):
    response = post(client, {"logits": [[5.0, None, 0.0, None]], "n": 300, "seed": 0,
                             "return_probs": True})
    assert response.status_code == 200
    body = response.get_json()
    assert set(body["tokens"][0]) <= {0, 2}
    assert body["probs"][0][1] == 0 and body["probs"][0][3] == 0
    assert body["kept"] == [2]
    expected = sample(np.array([[5.0, -np.inf, 0.0, -np.inf]]), n=300, seed=0, return_probs=True)
    assert body == expected.to_dict()


def test_optional_outputs(client):
    response = post(client, {"logits": logits(2, 30).tolist(), "logprobs": 3,
                             "return_probs": True, "trace": True, "seed": 5, "top_k": 10})
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == BASE_KEYS | {"top_logprobs", "probs", "trace"}
    assert [len(p) for p in body["probs"]] == [30, 30]
    assert all(abs(sum(p) - 1) < 1e-5 for p in body["probs"])
    assert [len(t) for t in body["top_logprobs"]] == [3, 3]
    assert set(body["top_logprobs"][0][0]) == {"token", "logprob"}
    stages = [step["stage"] for step in body["trace"][0]]
    assert "top_k" in stages
    assert set(body["trace"][0][0]) == {"stage", "kept", "removed_mass", "entropy"}


def test_top_logprobs_leave_out_tokens_whose_probability_rounds_to_zero(client):
    """At T = 1e-8 the runners-up keep q > 0 in float64 but round to 0 in float32: log 0 is
    -inf, which JSON cannot carry, so they are not listed (found by schemathesis)."""
    body = post(client, {"logits": [[2.0, 1.0, 0.5, -1.0], [0.0, 0.0, 3.0, None]],
                         "temperature": 1e-08, "seed": 100, "logprobs": 100,
                         "return_probs": True}).get_json()
    assert body["kept"] == [4, 3]
    assert body["probs"] == [[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]]
    assert body["top_logprobs"] == [[{"token": 0, "logprob": 0.0}],
                                    [{"token": 2, "logprob": 0.0}]]


def test_logit_bias_context_presets_and_order(client):
    row = [0.0] * 10
    body = post(client, {"logits": row, "logit_bias": {"3": 100}, "n": 20, "seed": 1}).get_json()
    assert body["tokens"] == [[3] * 20]
    per_row = post(client, {"logits": [row, row], "logit_bias": [{"1": 100}, {"2": 100}],
                            "seed": 1}).get_json()
    assert per_row["tokens"] == [[1], [2]]
    penal = {"logits": [1.0, 1.0, 0.9], "context": [0, 0, 1], "repetition_penalty": 1.5,
             "frequency_penalty": 0.5, "temperature": 0}
    assert post(client, penal).get_json()["tokens"] == [[2]]
    per_row_context = {"logits": [[1.0, 0.9], [1.0, 0.9]], "context": [[0], []],
                       "presence_penalty": 2.0, "temperature": 0}
    assert post(client, per_row_context).get_json()["tokens"] == [[1], [0]]
    llama = {"logits": logits(1, 20).tolist(), "preset": "llama.cpp", "typical_p": 0.9,
             "seed": 3, "trace": True}
    response = post(client, llama)
    assert response.status_code == 200, response.get_json()
    assert "typical_p" in [s["stage"] for s in response.get_json()["trace"][0]]
    ordered = {"logits": logits(1, 20).tolist(), "order": ["top_k", "temperature"],
               "top_k": 2, "seed": 4, "trace": True}
    trace = post(client, ordered).get_json()["trace"][0]
    assert [s["stage"] for s in trace] == ["top_k", "temperature"]


def test_query_parameters_also_apply_to_json_bodies(client):
    row = logits(1, 20)[0].tolist()
    body = post(client, {"logits": row}, "?temperature=0&n=3").get_json()
    assert body["tokens"] == [[int(np.argmax(row))] * 3]
    per_row = post(client, {"logits": [row, row]}, "?temperature=0,0&seed=1&seed=2").get_json()
    assert per_row["seed"] == [1, 2]
    conflict = post(client, {"logits": row, "temperature": 1.0}, "?temperature=0")
    assert_problem(conflict, 422, "temperature", "both")


def test_python_json_literals(client):
    """json.dumps writes -Infinity for masked tokens and NaN for NaN; both are understood."""
    masked = json.dumps({"logits": [1.0, float("-inf"), 0.5], "n": 50, "seed": 2})
    response = client.post("/sample", data=masked, content_type="application/json")
    assert response.status_code == 200
    assert 1 not in response.get_json()["tokens"][0]
    nan = json.dumps({"logits": [[1.0, 2.0], [0.0, float("nan")]]})
    response = client.post("/sample", data=nan, content_type="application/json")
    assert_problem(response, 422, "logits", "row 1, position 1")
    inf = json.dumps({"logits": [1.0, float("inf")]})
    response = client.post("/sample", data=inf, content_type="application/json")
    assert_problem(response, 422, "logits")


def test_content_type_parameters_are_ignored(client):
    data = json.dumps({"logits": [0.0, 1.0], "seed": 1})
    response = client.post("/sample", data=data,
                           content_type="application/json; charset=utf-8")
    assert response.status_code == 200


def test_fresh_seed_is_reported_and_replays(client):
    row = logits(1, 100)[0].tolist()
    first = post(client, {"logits": row, "n": 8}).get_json()
    (seed,) = first["seed"]
    assert isinstance(seed, int) and 0 <= seed < 2**63
    again = post(client, {"logits": row, "n": 8, "seed": seed}).get_json()
    assert again["tokens"] == first["tokens"]


def test_zero_and_one_logits_are_numbers_not_booleans(client):
    """0 and 1 (as integers or floats) are logits; only true/false are refused."""
    body = {"logits": [[0, 1, 1.0, 0.0], [1, 0, 0.0, 2]], "temperature": 0}
    assert post(client, body).get_json()["tokens"] == [[1], [3]]


@pytest.mark.parametrize("value", [0, 12.5, -3])
def test_integer_and_float_logits_mix(client, value):
    response = post(client, {"logits": [value, 1, 2.5], "seed": 0})
    assert response.status_code == 200


@pytest.mark.parametrize("query", [False, True])
def test_the_peers_spellings_of_off_and_top_p_zero_are_accepted(client, query):
    """top_k -1 (vLLM), top_n_sigma -1 and penalty_last_n -1 (llama.cpp), top_p 0 (HF, OpenAI)."""
    row = logits(1, 50, seed=3)[0].tolist()
    params = {"top_k": -1, "top_n_sigma": -1.0, "penalty_last_n": -1, "top_p": 0.0,
              "preset": "llama.cpp", "seed": 5, "return_probs": True}
    context = list(range(10))
    if query:
        text = "&".join(f"{k}={str(v).lower()}" for k, v in params.items())
        response = post(client, {"logits": row, "context": context}, query="?" + text)
    else:
        response = post(client, {"logits": row, "context": context, **params})
    assert response.status_code == 200, response.get_json()
    expected = sample(np.asarray(row), context=context, **params).to_dict()
    assert response.get_json() == expected
    assert np.count_nonzero(expected["probs"][0]) == 1  # top_p 0: the likeliest token only


@pytest.mark.parametrize("query", [False, True])
def test_a_null_bias_bans_the_token(client, query):
    """JSON has no -inf: null is the ban, as a null logit is a masked token."""
    row = [0.0, 5.0, 1.0]
    bias = {"1": None}
    if query:
        response = post(client, {"logits": row},
                        query="?return_probs=true&logit_bias=" + json.dumps(bias))
    else:
        response = post(client, {"logits": row, "logit_bias": bias, "return_probs": True})
    assert response.status_code == 200, response.get_json()
    probs = response.get_json()["probs"][0]
    assert probs[1] == 0 and probs[0] > 0 and probs[2] > 0
    everything = post(client, {"logits": row, "logit_bias": {"0": None, "1": None, "2": None}})
    assert_problem(everything, 422, "logit_bias")
    assert "bans every token" in everything.get_json()["detail"]
