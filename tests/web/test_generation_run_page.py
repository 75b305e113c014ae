"""A generation run's page in headless Chromium: its own statistics, heatmap and lines."""

import os
import subprocess
from urllib.parse import parse_qs, urlparse

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.web.conftest import _logitlab, start_server, stop_server
from tests.web.test_dashboard import api, cells, heatmap_values, wait

pytestmark = pytest.mark.slow


TOKEN = "gen-page-token"


@pytest.fixture(scope="module")
def gen_database(tmp_path_factory):
    """A folder and environment whose database holds one real generation sweep (2 x 2 grid)."""
    folder = tmp_path_factory.mktemp("web-generation")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGITLAB_")}
    env |= {"LOGITLAB_DATABASE_URL": f"sqlite:///{folder / 'runs.db'}",
            "LOGITLAB_CACHE_DIR": str(folder / "cache")}
    prompts = folder / "prompts.txt"
    prompts.write_text("The for statement\nA class\n")
    subprocess.run([_logitlab(), "sweep", "--source", "ngram-pydoc", "--prompts", str(prompts),
                    "--max-tokens", "12", "--samples", "3", "--temperature", "0.3,1.5",
                    "--top-p", "0.5,1.0", "--self-bleu", "--name", "gen-page"],
                   check=True, env=env, stdout=subprocess.DEVNULL, timeout=120)
    return folder, env


@pytest.fixture(scope="module")
def gen_server(gen_database):
    """`logitlab serve` over that database."""
    folder, env = gen_database
    process, base = start_server(env, folder / "server.log", workers=1)
    yield base
    stop_server(process)


@pytest.fixture(scope="module")
def gen_token_server(gen_database):
    """The same, with LOGITLAB_API_TOKEN set."""
    folder, env = gen_database
    process, base = start_server({**env, "LOGITLAB_API_TOKEN": TOKEN},
                                 folder / "token-server.log", workers=1)
    yield base
    stop_server(process)


def test_generation_run_page_draws_its_statistics(browser, gen_server):
    run = api(gen_server, "/runs")["items"][0]
    assert run["engine"] == "generation" and run["cells_done"] == 4
    stored = api(gen_server, f"/runs/{run['id']}/cells")["items"]
    browser.get(f"{gen_server}/runs/{run['id']}")
    wait(browser, lambda: len(cells(browser)) == 4)
    assert "distinct_2" in browser.find_element(By.ID, "heatmap-summary").text
    assert heatmap_values(browser) == {(c["temperature"], c["top_p"]): c["distinct_2"]
                                       for c in stored}
    options = [o.get_attribute("value") for o in
               Select(browser.find_element(By.ID, "metric")).options]
    assert "self_bleu" in options and "entropy" not in options
    assert "Continuations per prompt" in browser.find_element(By.ID, "meta").text
    Select(browser.find_element(By.ID, "metric")).select_by_value("self_bleu")
    wait(browser, lambda: heatmap_values(browser) == {
        (c["temperature"], c["top_p"]): c["self_bleu"] for c in stored})
    series = browser.find_elements(By.CSS_SELECTOR, "#lines g.series")
    assert sorted(float(s.get_attribute("data-top-p")) for s in series) == [0.5, 1.0]
    png = browser.find_element(By.ID, "png-link").get_attribute("href")
    assert parse_qs(urlparse(png).query) == {"metric": ["self_bleu"]}


def test_a_token_metric_in_the_url_falls_back_and_a_missing_run_is_404(browser, gen_server):
    run = api(gen_server, "/runs")["items"][0]
    browser.get(f"{gen_server}/runs/{run['id']}?metric=entropy")
    wait(browser, lambda: len(cells(browser)) == 4)
    assert browser.find_element(By.ID, "metric").get_attribute("value") == "distinct_2"
    browser.get(f"{gen_server}/runs/424242")
    error = browser.find_element(By.ID, "error")
    assert error.is_displayed() and "Run 424242 not found" in error.text
    assert not browser.find_elements(By.ID, "heatmap")


def test_under_a_token_the_page_learns_the_run_s_kind_from_its_authorized_calls(
        browser, gen_server, gen_token_server):
    run = api(gen_server, "/runs")["items"][0]
    browser.get(f"{gen_token_server}/healthz")  # a page of the origin that calls no API
    browser.execute_script(f"sessionStorage.setItem('logitlab-api-token', '{TOKEN}')")
    browser.get(f"{gen_token_server}/runs/{run['id']}")
    wait(browser, lambda: len(cells(browser)) == 4)
    metric = Select(browser.find_element(By.ID, "metric"))
    options = [o.get_attribute("value") for o in metric.options]
    assert "self_bleu" in options and "entropy" not in options
    assert metric.first_selected_option.get_attribute("value") == "distinct_2"
    assert "distinct_2" in browser.find_element(By.ID, "heatmap-summary").text
    browser.get(f"{gen_token_server}/runs/424242")
    wait(browser, lambda: browser.find_element(By.ID, "error").is_displayed())
    assert "run 424242 not found" in browser.find_element(By.ID, "error").text
