"""The runs pages over runs a plain sweep does not leave: an id beyond 2**53, an interrupted
run, a run without cells, a knob value in the URL that the run lacks, an offset past the end."""

from urllib.parse import parse_qs, urlparse

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.web.conftest import BIG_RUN_ID
from tests.web.test_dashboard import api, cells, heatmap_values, run_named, wait

pytestmark = pytest.mark.slow


def status(browser):
    return browser.find_element(By.ID, "status").text


def test_run_ids_beyond_2_53_stay_exact(browser, odd_server):
    browser.get(odd_server + "/runs")
    wait(browser, lambda: len(browser.find_elements(By.CSS_SELECTOR, "#runs tbody tr")) == 3)
    link = browser.find_element(By.LINK_TEXT, f"#{BIG_RUN_ID}")  # not #1152921504606847000
    assert urlparse(link.get_attribute("href")).path == f"/runs/{BIG_RUN_ID}"
    link.click()
    wait(browser, lambda: len(cells(browser)) == 4)
    assert browser.find_element(By.ID, "run-title").text == f"Run {BIG_RUN_ID}: big-id"
    assert browser.title.startswith(f"Run {BIG_RUN_ID}: big-id")


def test_an_interrupted_run_shows_its_missing_cells_grey(browser, odd_server):
    run = run_named(odd_server, "interrupted")
    browser.get(f"{odd_server}/runs/{run['id']}")
    wait(browser, lambda: len(cells(browser)) == 6)  # 3 temperatures x 2 top_p, 4 stored
    missing = [c for c in cells(browser) if c.get_attribute("data-value") == ""]
    assert sorted(float(c.get_attribute("data-temperature")) for c in missing) == [1.0, 1.0]
    assert all(c.get_attribute("fill") == "#ddd" for c in missing)
    assert status(browser) == "4 cells."


def test_a_run_without_cells_offers_no_heatmap_png(browser, odd_server):
    run = run_named(odd_server, "zero-cells")
    browser.get(f"{odd_server}/runs/{run['id']}")
    wait(browser, lambda: status(browser) == "This run has no cells yet.")
    assert not browser.find_element(By.ID, "png-link").is_displayed()
    assert browser.find_element(By.ID, "cells-link").is_displayed()


def test_a_knob_value_the_run_lacks_falls_back_to_the_first(browser, server):
    run = run_named(server, "swept-top-k")
    stored = api(server, f"/runs/{run['id']}/cells")["items"]
    browser.get(f"{server}/runs/{run['id']}?top_k=999&metric=kl_to_original")
    wait(browser, lambda: status(browser) == "4 cells.")
    assert Select(browser.find_element(By.ID, "fix-top_k")).first_selected_option \
        .get_attribute("value") == "0"
    assert heatmap_values(browser) == {(c["temperature"], c["top_p"]): c["kl_to_original"]
                                       for c in stored if c["top_k"] == 0}
    assert not browser.find_element(By.ID, "error").is_displayed()
    assert parse_qs(urlparse(browser.current_url).query).get("top_k") is None
    # A failed reload says so and leaves no stale status behind.
    browser.execute_script(
        "const s = document.getElementById('fix-top_k'); s.add(new Option('bad', 'x'));"
        "s.value = 'x'; s.dispatchEvent(new Event('change', {bubbles: true}));")
    wait(browser, lambda: browser.find_element(By.ID, "error").is_displayed())
    assert "top_k" in browser.find_element(By.ID, "error").text
    assert status(browser) == ""


def test_an_offset_past_the_last_run_shows_the_last_page(browser, server):
    browser.get(server + "/runs?offset=1000000000")
    wait(browser, lambda: status(browser) != "Loading…")
    assert status(browser) == "2 runs; showing 1–2."
    assert len(browser.find_elements(By.CSS_SELECTOR, "#runs tbody tr")) == 2
