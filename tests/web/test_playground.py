"""The playground in a real headless Chromium against `logitlab serve`."""

import json
import urllib.request
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

pytestmark = pytest.mark.slow


def wait(browser, condition, timeout=30):
    """Poll `condition` (elements re-drawn meanwhile are read again on the next poll)."""
    return WebDriverWait(browser, timeout, ignored_exceptions=[StaleElementReferenceException]
                         ).until(lambda _: condition())


def text(browser, element_id):
    return browser.find_element(By.ID, element_id).text


def after_bars(browser):
    """token id -> processed probability of every bar drawn."""
    return {int(bar.get_attribute("data-token")):
            float(bar.find_element(By.CSS_SELECTOR, "rect.after").get_attribute("data-p"))
            for bar in browser.find_elements(By.CSS_SELECTOR, "#chart g.bar")}


def entropy(browser):
    shown = text(browser, "entropy-after")
    assert shown.endswith(" nats"), shown
    return float(shown.split()[0])


def idle(browser):
    """No update scheduled or in flight (the page sets body[data-state])."""
    return browser.find_element(By.TAG_NAME, "body").get_attribute("data-state") == "idle"


def load(browser, url):
    browser.get(url)
    wait(browser, lambda: idle(browser) and text(browser, "entropy-after").endswith("nats")
         and browser.find_elements(By.CSS_SELECTOR, "#chart g.bar"))


def settle(browser, previous):
    """Wait until no update is pending and the entropy shown differs from `previous`."""
    wait(browser, lambda: idle(browser) and text(browser, "entropy-after") != previous)


def test_temperature_slider_reshapes_chart_and_entropy(browser, server, screenshot):
    load(browser, server + "/")
    assert text(browser, "entropy-before") == text(browser, "entropy-after")  # all knobs off
    bars, before = after_bars(browser), text(browser, "entropy-after")
    assert len(bars) == 15 and text(browser, "kept") == "1000"
    slider = browser.find_element(By.ID, "temperature-range")
    slider.send_keys(*[Keys.ARROW_LEFT] * 40)  # keyboard: 1.00 -> 0.60
    settle(browser, before)
    assert browser.find_element(By.ID, "temperature").get_attribute("value") == "0.6"
    assert entropy(browser) < float(before.split()[0])
    cooled = after_bars(browser)
    top = max(bars, key=bars.get)
    assert cooled[top] > bars[top]  # the likeliest token gains mass when cooled
    assert parse_qs(urlparse(browser.current_url).query)["temperature"] == ["0.6"]
    # Setting the value as a script would (value + input event) works the same way.
    previous = text(browser, "entropy-after")
    browser.execute_script(
        "const s = document.getElementById('temperature-range'); s.value = '1.8';"
        "s.dispatchEvent(new Event('input', {bubbles: true}));")
    settle(browser, previous)
    assert entropy(browser) > float(before.split()[0])
    stages = [row.find_element(By.TAG_NAME, "th").text
              for row in browser.find_elements(By.CSS_SELECTOR, "#trace tbody tr.stage")]
    assert stages == ["logit_bias", "penalties", "temperature", "min_p", "top_k", "top_p"]
    screenshot("playground-temperature")


def test_url_restores_state_and_trace_shows_each_stage(browser, server):
    load(browser, server + "/?temperature=0.7&top_k=5&top_p=0.9&n=12&seed=3")
    assert browser.find_element(By.ID, "top_k").get_attribute("value") == "5"
    assert browser.find_element(By.ID, "top_k-range").get_attribute("value") == "5"
    rows = {row.find_element(By.TAG_NAME, "th").text:
            [cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
            for row in browser.find_elements(By.CSS_SELECTOR, "#trace tbody tr")}
    assert rows["raw softmax"][0] == "1000"
    assert rows["raw softmax"][2] == text(browser, "entropy-before").split()[0]
    assert rows["top_k"][0] == "5" and float(rows["top_k"][1]) > 0
    kept = int(text(browser, "kept"))
    assert 1 <= kept <= 5 and int(rows["top_p"][0]) == kept
    assert sum(p > 0 for p in after_bars(browser).values()) == kept


def test_sample_button_shows_drawn_tokens(browser, server, screenshot):
    load(browser, server + "/?top_k=3&n=12&seed=5")
    allowed = {token for token, p in after_bars(browser).items() if p > 0}
    assert len(allowed) == 3
    browser.find_element(By.ID, "sample-button").click()
    wait(browser, lambda: browser.find_elements(By.CSS_SELECTOR, "#samples li.chip"))
    drawn = [int(chip.get_attribute("data-token"))
             for chip in browser.find_elements(By.CSS_SELECTOR, "#samples li.chip")]
    assert len(drawn) == 12 and set(drawn) <= allowed
    assert "seed 5" in text(browser, "samples")
    seed = browser.find_element(By.ID, "seed")
    seed.clear()
    seed.send_keys("6")
    browser.find_element(By.ID, "sample-button").send_keys(Keys.ENTER)  # from the keyboard
    wait(browser, lambda: "seed 6" in text(browser, "samples"))
    assert len(browser.find_elements(By.CSS_SELECTOR, "#samples li.chip")) == 12
    browser.execute_script("document.getElementById('samples').scrollIntoView({block: 'end'})")
    screenshot("playground-samples")


def test_pasted_vocabulary_labels_bars_and_errors_are_shown(browser, server):
    load(browser, server + "/?source=json&min_p=0.3")
    labels = [label.text for label in browser.find_elements(By.CSS_SELECTOR, "#chart .label")]
    assert labels[:3] == ["␣the #0", "␣a #1", "␣an #2"]
    assert text(browser, "vocab") == "8"
    browser.get(server + "/?typical_p=0.5")
    wait(browser, lambda: idle(browser) and browser.find_element(By.ID, "error").is_displayed())
    assert "typical_p is set but stage 'typical_p' is not in the order" in text(browser, "error")
    assert browser.find_element(By.CSS_SELECTOR, ".knob[data-stage=typical_p] .off-order") \
        .is_displayed()


def test_language_model_context_gives_labelled_next_tokens(browser, server, screenshot):
    request = urllib.request.Request(
        server + "/lm/next", data=json.dumps({"text": "Elon Musk is an", "top": 3}).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        top = json.load(response)["top"]
    load(browser, server + "/?source=lm&top=10")
    assert browser.find_element(By.ID, "source-lm-choice").is_displayed()
    bars = browser.find_elements(By.CSS_SELECTOR, "#chart g.bar")
    assert [int(bar.get_attribute("data-token")) for bar in bars[:3]] == \
        [t["token"] for t in top]
    first = bars[0].find_element(By.CSS_SELECTOR, ".label").text
    assert first == f"{top[0]['text'].replace(' ', '␣')} #{top[0]['token']}"
    assert "the context is" in text(browser, "lm-model")
    previous = text(browser, "entropy-after")
    field = browser.find_element(By.ID, "lm_text")
    field.send_keys(" integer")  # a new context: new logits, new entropy
    settle(browser, previous)
    assert "Elon+Musk+is+an+integer" in browser.current_url
    screenshot("playground-language-model")


def test_uploaded_npy_and_gaussian_sources(browser, server, tmp_path):
    logits = np.full(50, -3.0, dtype=np.float32)
    logits[[7, 11, 42]] = [4.0, 3.0, 2.0]
    path = tmp_path / "logits.npy"
    np.save(path, logits)
    load(browser, server + "/?top=5")
    browser.find_element(By.CSS_SELECTOR, "input[name=source][value=npy]").click()
    browser.find_element(By.ID, "npy_file").send_keys(str(path))
    wait(browser, lambda: idle(browser) and text(browser, "vocab") == "50")
    tokens = [int(bar.get_attribute("data-token"))
              for bar in browser.find_elements(By.CSS_SELECTOR, "#chart g.bar")]
    assert tokens[:3] == [7, 11, 42]
    assert "source=npy" in browser.current_url
    load(browser, server + "/?source=gaussian&gauss_V=300&top_k=4")
    assert text(browser, "vocab") == "300" and text(browser, "kept") == "4"
