"""The playground's exact seeds, pasted values a double cannot hold, links within the server's
URL limit, and URL or form values out of range."""

import json
import re
import urllib.request
from urllib.parse import parse_qs, urlparse

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.web.test_playground import idle, load, text, wait

pytestmark = pytest.mark.slow

MAX_SEED = 2**63 - 1


def post_sample(server, document):
    request = urllib.request.Request(server + "/sample", data=json.dumps(document).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def draw(browser, seed):
    """Press Sample with `seed` in the seed box; the draws and the sentence above them."""
    field = browser.find_element(By.ID, "seed")
    field.clear()
    field.send_keys(seed)
    browser.execute_script("document.getElementById('samples').replaceChildren()")
    browser.find_element(By.ID, "sample-button").click()
    wait(browser, lambda: browser.find_elements(By.CSS_SELECTOR, "#samples li.chip")
         or browser.find_element(By.ID, "error").is_displayed())
    assert not browser.find_element(By.ID, "error").is_displayed(), text(browser, "error")
    tokens = [int(chip.get_attribute("data-token"))
              for chip in browser.find_elements(By.CSS_SELECTOR, "#samples li.chip")]
    return tokens, browser.find_element(By.CSS_SELECTOR, "#samples p").text


def paste(browser, value):
    browser.execute_script(
        "const t = document.getElementById('json_logits'); t.value = arguments[0];"
        "t.dispatchEvent(new Event('input', {bubbles: true}));", value)
    wait(browser, lambda: idle(browser))


def test_a_fresh_seed_shown_replays_the_draw_exactly(browser, server):
    load(browser, server + "/?source=json&n=40")
    pasted = json.loads(browser.find_element(By.ID, "json_logits").get_attribute("value"))
    logits = {"logits": pasted["logits"]}
    tokens, said = draw(browser, "")
    seed = int(re.fullmatch(r"40 draws, \d+ distinct, seed (\d+)\.", said).group(1))
    assert seed <= MAX_SEED
    again = post_sample(server, {**logits, "n": 40, "seed": seed})
    assert again["tokens"][0] == tokens and again["seed"] == [seed]
    # The largest seed goes out as the integer typed, in a JSON body and in a query string.
    tokens, said = draw(browser, str(MAX_SEED))
    assert said.endswith(f"seed {MAX_SEED}.")
    assert post_sample(server, {**logits, "n": 40, "seed": MAX_SEED})["tokens"][0] == tokens
    load(browser, server + "/?n=40")  # zipf: a float32 body, parameters in the query
    first, said = draw(browser, str(MAX_SEED - 2))
    assert said.endswith(f"seed {MAX_SEED - 2}.")
    assert draw(browser, str(MAX_SEED - 2))[0] == first
    assert draw(browser, str(MAX_SEED))[0] != first  # seeds 2 apart are not one double
    field = browser.find_element(By.ID, "seed")
    field.clear()
    field.send_keys(str(MAX_SEED + 1))
    browser.find_element(By.ID, "sample-button").click()
    wait(browser, lambda: browser.find_element(By.ID, "error").is_displayed())
    assert "Seed" in text(browser, "error") and str(MAX_SEED) in text(browser, "error")


def test_pasted_values_beyond_a_double_are_refused_by_position(browser, server):
    load(browser, server + "/?source=json")
    paste(browser, "[[1, 0.5, 0], [2, 1e400, 0]]")
    error = browser.find_element(By.ID, "error")
    assert error.is_displayed()
    assert "row 1, position 1" in error.text and "+inf" in error.text
    paste(browser, "[1, -1e999]")
    assert "row 0, position 1" in text(browser, "error") and "-inf" in text(browser, "error")
    paste(browser, "[1, 0.5, null]")
    assert not browser.find_element(By.ID, "error").is_displayed()
    assert text(browser, "vocab") == "3"


def test_a_link_too_long_for_the_server_leaves_the_pasted_logits_out(browser, server):
    load(browser, server + "/?source=json&temperature=0.7")
    paste(browser, json.dumps([-i / 100 for i in range(1500)]))
    assert text(browser, "vocab") == "1500"
    assert len(browser.current_url) < 4096
    query = parse_qs(urlparse(browser.current_url).query)
    assert query["source"] == ["json"] and query["temperature"] == ["0.7"] and "json" not in query
    note = browser.find_element(By.ID, "link-note")
    assert note.is_displayed() and "too long to keep in it: pasted logits" in note.text
    browser.refresh()  # the link still opens a page
    wait(browser, lambda: idle(browser) and text(browser, "entropy-after").endswith("nats"))
    assert text(browser, "vocab") == "8"  # the example logits, not a 414
    paste(browser, "[1, 2, 3]")
    assert "json" in parse_qs(urlparse(browser.current_url).query)
    assert not browser.find_element(By.ID, "link-note").is_displayed()


def bars(browser):
    return browser.find_elements(By.CSS_SELECTOR, "#chart g.bar")


@pytest.mark.parametrize(("query", "control", "value", "said"), [
    ("top=-3", "top", "1", "top"),
    ("top=2.5", "top", "3", "top"),
    ("top=50000", "top", "1000", "top"),
    ("temperature=abc", "temperature", "1", "temperature"),
    ("zipf_V=-5", "zipf_V", "2", "zipf_V"),
    ("zipf_V=1000000000", "zipf_V", "262144", "zipf_V"),
    ("preset=bogus", "preset", "vllm", "preset"),
])
def test_url_values_out_of_range_are_corrected_and_said(browser, server, query, control, value,
                                                        said):
    load(browser, f"{server}/?{query}")
    assert browser.find_element(By.ID, control).get_attribute("value") == value
    notice = browser.find_element(By.ID, "notice")
    assert notice.is_displayed() and said in notice.text
    assert not browser.find_element(By.ID, "error").is_displayed()
    assert "NaN" not in text(browser, "chart-summary") and "undefined" not in \
        text(browser, "chart-summary")
    assert 1 <= len(bars(browser)) <= 1000


def test_an_unknown_source_falls_back_to_zipf(browser, server):
    load(browser, server + "/?source=bogus&preset=bogus")
    shown = [panel.get_attribute("data-source")
             for panel in browser.find_elements(By.CSS_SELECTOR, ".source") if panel.is_displayed()]
    assert shown == ["zipf"] and text(browser, "vocab") == "1000"
    assert "source" in text(browser, "notice") and "preset" in text(browser, "notice")
    assert Select(browser.find_element(By.ID, "preset")).first_selected_option.text == "vllm"


def test_bars_shown_are_capped_and_a_typed_vocabulary_out_of_range_is_said(browser, server):
    load(browser, server + "/?zipf_V=5000&top=50000")
    assert len(bars(browser)) == 1000
    assert browser.find_element(By.ID, "top").get_attribute("max") == "1000"
    browser.execute_script(
        "const v = document.getElementById('zipf_V'); v.value = '-5';"
        "v.dispatchEvent(new Event('input', {bubbles: true}));")
    wait(browser, lambda: idle(browser) and browser.find_element(By.ID, "error").is_displayed())
    assert "Vocabulary size" in text(browser, "error")
    assert "typed array" not in text(browser, "error")
