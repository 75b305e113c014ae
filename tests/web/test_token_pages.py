"""The pages under LOGITLAB_API_TOKEN: one prompt per tab, and the links to API documents
(heatmap PNG, cells JSON, a load test) fetched with the bearer token."""

import json

import pytest
from selenium.webdriver.common.by import By

from tests.web.conftest import BIG_RUN_ID, start_server, stop_server
from tests.web.test_dashboard import cells, wait
from tests.web.test_playground import load

pytestmark = pytest.mark.slow

TOKEN = "odd-page-token"
# Every new document of the tab answers prompts with the token and counts them.
COUNT_PROMPTS = ("window.__prompts = 0;"
                 f"window.prompt = () => {{ window.__prompts += 1; return '{TOKEN}'; }};")


@pytest.fixture(scope="module")
def token_server(odd_database):
    folder, env = odd_database
    process, base = start_server({**env, "LOGITLAB_API_TOKEN": TOKEN},
                                 folder / "token-server.log", workers=2)
    yield base
    stop_server(process)


@pytest.fixture
def counted_prompts(browser):
    added = browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument",
                                    {"source": COUNT_PROMPTS})
    yield lambda: browser.execute_script("return window.__prompts")
    browser.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument",
                            {"identifier": added["identifier"]})


def forget_token(browser, base):
    browser.get(base + "/healthz")  # a page of the origin that calls no API
    browser.execute_script("sessionStorage.clear()")


def test_the_token_is_asked_once_per_tab(browser, token_server, counted_prompts):
    forget_token(browser, token_server)
    load(browser, token_server + "/")  # the playground's first calls run concurrently
    assert counted_prompts() == 1
    browser.get(token_server + "/runs")  # the same tab keeps the token
    wait(browser, lambda: len(browser.find_elements(By.CSS_SELECTOR, "#runs tbody tr")) == 3)
    assert counted_prompts() == 0
    forget_token(browser, token_server)
    browser.get(token_server + "/runs")  # runs and load tests load concurrently
    wait(browser, lambda: len(browser.find_elements(By.CSS_SELECTOR, "#runs tbody tr")) == 3
         and browser.find_element(By.ID, "loadtests").get_attribute("data-state") == "shown")
    assert counted_prompts() == 1


def open_in_new_tab(browser, link_id=None, link_text=None):
    """Click an API link; return (content type, text) of the tab it opens, then close that tab."""
    home = browser.current_window_handle
    link = (browser.find_element(By.ID, link_id) if link_id
            else browser.find_element(By.LINK_TEXT, link_text))
    link.click()
    wait(browser, lambda: len(browser.window_handles) == 2, timeout=10)
    browser.switch_to.window(next(h for h in browser.window_handles if h != home))
    try:
        wait(browser, lambda: browser.current_url.startswith("blob:"), timeout=10)
        return browser.execute_async_script(
            "const done = arguments[0];"
            "fetch(location.href).then((r) => r.blob())"
            ".then(async (b) => done([b.type, b.type.includes('json') ? await b.text() : '']));")
    finally:
        browser.close()
        browser.switch_to.window(home)


def test_links_to_api_documents_send_the_token(browser, token_server):
    forget_token(browser, token_server)
    browser.execute_script(f"sessionStorage.setItem('logitlab-api-token', '{TOKEN}')")
    browser.get(f"{token_server}/runs/{BIG_RUN_ID}")
    wait(browser, lambda: len(cells(browser)) == 4)
    kind, _ = open_in_new_tab(browser, link_id="png-link")
    assert kind == "image/png"
    kind, body = open_in_new_tab(browser, link_id="cells-link")
    assert kind == "application/json" and len(json.loads(body)["items"]) == 4
    browser.get(token_server + "/runs")
    wait(browser, lambda: browser.find_element(By.ID, "loadtests").get_attribute("data-state")
         == "shown")
    kind, body = open_in_new_tab(browser, link_text="#1")
    assert kind == "application/json" and json.loads(body)["id"] == 1
