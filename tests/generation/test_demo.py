"""The Software 2.0 demo: deterministic, close to 103 at x = 50 but not exactly."""

from click.testing import CliRunner
from sqlalchemy import select

from runner.cli import main
from service.db import open_database
from service.db.models import DemoRun
from service.demo.linear import least_squares, train


def test_close_to_103_but_not_exactly_and_deterministic():
    result = train(seed=0)
    assert abs(result.mlp_prediction - 103.0) < 0.5
    assert abs(result.mlp_prediction - 103.0) > 1e-6  # learned, not derived
    assert train(seed=0).mlp_prediction == result.mlp_prediction
    assert train(seed=1).mlp_prediction != result.mlp_prediction
    assert result.losses[0][1] > 100 * result.losses[-1][1]  # the loss falls


def test_least_squares_is_the_exact_line():
    slope, intercept = least_squares()
    assert abs(slope - 2) < 1e-9 and abs(intercept - 3) < 1e-9


def test_the_network_does_not_extrapolate_the_rule():
    far = train(seed=0, x=300.0)
    assert abs(far.lstsq_prediction - 603.0) < 1e-6
    assert abs(far.mlp_prediction - 603.0) > 50  # tanh units saturate outside the data


def _stored(url):
    engine, sessions = open_database(url)
    with sessions() as session:
        runs = session.scalars(select(DemoRun).order_by(DemoRun.id)).all()
    engine.dispose()
    return runs


def test_cli_prints_progress_and_both_answers_and_stores_the_run(tmp_path):
    url = f"sqlite:///{tmp_path / 'lab.db'}"
    args = ["demo", "linear", "--seed", "3", "--epochs", "300", "--db", url]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    assert first.stdout.count("loss (MSE)") >= 10
    assert "least squares y = 2.000000x + 3.000000: 103.000000" in first.stdout
    # The loss after the last step, the one POST /demo/linear answers as final_loss.
    final = train(seed=3, epochs=300).final_loss
    assert f"after training  loss (MSE) {final:.6f}" in first.stdout
    again = CliRunner().invoke(main, args)
    assert again.stdout == first.stdout
    assert "stored as demo run 2" in again.stderr
    runs = _stored(url)
    assert [(r.demo, r.seed, r.epochs) for r in runs] == [("linear", 3, 300)] * 2
    assert runs[0].mlp_prediction == train(seed=3, epochs=300).mlp_prediction
    assert runs[0].losses[0][0] == 1 and runs[0].lstsq_slope == runs[1].lstsq_slope


def test_endpoint_trains_and_stores(make_app, tmp_path):
    url = f"sqlite:///{tmp_path / 'lab.db'}"
    client = make_app(DATABASE_URL=url).test_client()
    response = client.post("/demo/linear", json={"seed": 2, "epochs": 400})
    assert response.status_code == 200
    body = response.get_json()
    assert body["mlp_prediction"] == train(seed=2, epochs=400).mlp_prediction
    assert abs(body["mlp_prediction"] - 103) < 2 and body["exact"] == 103
    assert body["run_id"] == 1 and _stored(url)[0].mlp_prediction == body["mlp_prediction"]
    assert client.post("/demo/linear", json={"epochs": 0}).status_code == 422
