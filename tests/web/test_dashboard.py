"""The runs pages in a real headless Chromium against `logitlab serve` over a real sweep."""

import json
import urllib.request
from urllib.parse import parse_qs, urlparse

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

pytestmark = pytest.mark.slow


def wait(browser, condition, timeout=30):
    """Poll `condition` (elements re-drawn meanwhile are read again on the next poll)."""
    return WebDriverWait(browser, timeout, ignored_exceptions=[StaleElementReferenceException]
                         ).until(lambda _: condition())


def api(server, path):
    request = urllib.request.Request(server + path, headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.headers["Content-Type"] == "application/json"
        return json.load(response)


def run_named(server, name):
    return next(run for run in api(server, "/runs")["items"] if run["name"] == name)


def cells(browser):
    return browser.find_elements(By.CSS_SELECTOR, "#heatmap rect.cell")


def readout_value(browser):
    """The number after '=' in the hover readout."""
    return float(browser.find_element(By.ID, "readout").text.rsplit("= ", 1)[1])


def test_runs_list_links_to_a_run_heatmap_with_hover_values(browser, server, screenshot):
    run = run_named(server, "browser-test")
    stored = api(server, f"/runs/{run['id']}/cells")["items"]
    browser.get(server + "/runs")
    wait(browser, lambda: len(browser.find_elements(By.CSS_SELECTOR, "#runs tbody tr")) == 2)
    rows = browser.find_elements(By.CSS_SELECTOR, "#runs tbody tr")
    assert "swept-top-k" in rows[0].text and "top_k ×2" in rows[0].text  # newest first
    row = rows[1]
    assert "browser-test" in row.text and "4 / 4" in row.text
    # The load-test section appears exactly when the server has GET /loadtests.
    loadtests = browser.find_element(By.ID, "loadtests")
    wait(browser, lambda: loadtests.get_attribute("data-state") in ("absent", "shown"))
    has_loadtests = "/loadtests" in api(server, "/openapi.json")["paths"]
    assert loadtests.get_attribute("data-state") == ("shown" if has_loadtests else "absent")
    assert loadtests.is_displayed() == has_loadtests
    screenshot("runs-list")
    row.find_element(By.LINK_TEXT, f"#{run['id']}").click()
    wait(browser, lambda: len(cells(browser)) == 4)
    assert urlparse(browser.current_url).path == f"/runs/{run['id']}"
    assert browser.find_element(By.ID, "run-title").text == f"Run {run['id']}: browser-test"

    corner = next(c for c in cells(browser) if c.get_attribute("data-temperature") == "0.5"
                  and c.get_attribute("data-top-p") == "0.5")
    ActionChains(browser).move_to_element(corner).perform()
    wait(browser, lambda: browser.find_element(By.ID, "tooltip").is_displayed())
    expected = next(c for c in stored if c["temperature"] == 0.5 and c["top_p"] == 0.5)
    assert browser.find_element(By.ID, "readout").text.startswith(
        "temperature 0.5, top_p 0.5: entropy = ")
    assert readout_value(browser) == pytest.approx(expected["entropy"], rel=1e-4)
    assert browser.find_element(By.ID, "tooltip").text == \
        browser.find_element(By.ID, "readout").text
    screenshot("run-heatmap-hover")

    chart = browser.find_element(By.CSS_SELECTOR, "#heatmap svg")
    chart.send_keys(Keys.ARROW_RIGHT)  # keyboard: to top_p 1.0 at the same temperature
    wait(browser, lambda: "top_p 1:" in browser.find_element(By.ID, "readout").text)
    right = next(c for c in stored if c["temperature"] == 0.5 and c["top_p"] == 1.0)
    assert readout_value(browser) == pytest.approx(right["entropy"], rel=1e-4)


def test_metric_picker_redraws_heatmap_and_lines(browser, server, screenshot):
    run = run_named(server, "browser-test")
    stored = api(server, f"/runs/{run['id']}/cells")["items"]
    browser.get(f"{server}/runs/{run['id']}")
    wait(browser, lambda: len(cells(browser)) == 4)
    Select(browser.find_element(By.ID, "metric")).select_by_value("distinct_1")
    wait(browser, lambda: "distinct_1" in browser.find_element(By.ID, "heatmap-summary").text)
    shown = {(float(c.get_attribute("data-temperature")), float(c.get_attribute("data-top-p"))):
             float(c.get_attribute("data-value")) for c in cells(browser)}
    assert shown == {(c["temperature"], c["top_p"]): c["distinct_1"] for c in stored}
    series = browser.find_elements(By.CSS_SELECTOR, "#lines g.series")
    assert sorted(float(s.get_attribute("data-top-p")) for s in series) == [0.5, 1.0]
    assert all(len(s.find_elements(By.TAG_NAME, "circle")) == 2 for s in series)
    assert parse_qs(urlparse(browser.current_url).query)["metric"] == ["distinct_1"]
    browser.refresh()  # the metric survives a reload from the URL
    wait(browser, lambda: "distinct_1" in browser.find_element(By.ID, "heatmap-summary").text)
    assert browser.find_element(By.ID, "metric").get_attribute("value") == "distinct_1"
    screenshot("run-lines")


def heatmap_values(browser):
    return {(float(c.get_attribute("data-temperature")), float(c.get_attribute("data-top-p"))):
            float(c.get_attribute("data-value")) for c in cells(browser)}


def test_other_swept_knobs_pick_the_slice_shown(browser, server):
    run = run_named(server, "swept-top-k")
    stored = api(server, f"/runs/{run['id']}/cells")["items"]
    assert len(stored) == 8

    def expected(k):
        return {(c["temperature"], c["top_p"]): c["kl_to_original"] for c in stored
                if c["top_k"] == k}

    browser.get(f"{server}/runs/{run['id']}?metric=kl_to_original")
    wait(browser, lambda: len(cells(browser)) == 4)
    assert heatmap_values(browser) == expected(0)
    Select(browser.find_element(By.ID, "fix-top_k")).select_by_value("5")
    wait(browser, lambda: heatmap_values(browser) == expected(5))
    assert expected(5) != expected(0)
    assert parse_qs(urlparse(browser.current_url).query)["top_k"] == ["5"]
    png = browser.find_element(By.ID, "png-link").get_attribute("href")
    assert parse_qs(urlparse(png).query) == {"metric": ["kl_to_original"], "top_k": ["5"]}
