"""runner.bench.golden: fingerprints that catch any change in the core's results."""

import json

import numpy as np
from click.testing import CliRunner

from runner.bench import golden


def test_fingerprints_are_reproducible_and_see_a_one_ulp_change():
    _, logits, params = next(golden.cases())
    first = golden.fingerprint(logits, params)
    assert golden.fingerprint(logits.copy(), params) == first
    nudged = logits.copy()
    nudged[0, 0] = np.nextafter(nudged[0, 0], np.inf)  # one ulp on one logit
    assert golden.fingerprint(nudged, params) != first
    assert golden.fingerprint(logits, {"top_p": 2.0}).startswith("error InvalidParameterError")


def test_save_then_check_passes_and_a_changed_case_fails(tmp_path):
    path = tmp_path / "fingerprints.json"
    runner = CliRunner()
    saved = runner.invoke(golden.main, ["save", str(path), "--limit", "6"])
    assert saved.exit_code == 0 and "6 cases saved" in saved.output
    checked = runner.invoke(golden.main, ["check", str(path)])
    assert checked.exit_code == 0 and "6 of 6 cases identical" in checked.output
    stored = json.loads(path.read_text())
    changed = sorted(stored)[2]
    stored[changed] = "0" * 16
    path.write_text(json.dumps(stored))
    failed = runner.invoke(golden.main, ["check", str(path)])
    assert failed.exit_code == 1
    assert f"changed: {changed}" in failed.output and "5 of 6 cases identical" in failed.output
