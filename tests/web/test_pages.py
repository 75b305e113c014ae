"""The pages as HTTP sees them: negotiation on /runs, labels, local assets, not in the API."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from runner.grid import build_grid
from runner.sweep import SweepSpec, create, execute
from service.db import open_database

STATIC = Path(__file__).resolve().parents[2] / "service" / "web" / "static"
CHROME_ACCEPT = ("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
                 "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7")


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'lab.db'}"
    engine, sessions = open_database(url)
    grid = build_grid({"temperature": "0.5,1.0", "top_p": "0.5,1.0"})
    run_id = create(sessions, SweepSpec("zipf:V=100,s=1.1,rows=2,seed=0", grid, 20, 3))
    execute(sessions, run_id)
    engine.dispose()
    return url, run_id


@pytest.fixture
def web(database, make_app):
    return make_app(DATABASE_URL=database[0]).test_client()


class Controls(HTMLParser):
    """Collects form controls, label targets, buttons and external references."""

    def __init__(self):
        super().__init__()
        self.controls, self.labelled, self.refs, self.buttons = [], set(), [], []
        self.in_label = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in {"input", "select", "textarea"}:
            self.controls.append(a)
            if self.in_label and a.get("id"):  # wrapped in its <label>
                self.labelled.add(a["id"])
        if tag == "label":
            self.in_label += 1
            if a.get("for"):
                self.labelled.add(a["for"])
        if tag == "button":
            self.buttons.append(a)
        self.refs += [a[key] for key in ("src", "href") if a.get(key)]

    def handle_endtag(self, tag):
        if tag == "label":
            self.in_label -= 1


def parse(html: str) -> Controls:
    parser = Controls()
    parser.feed(html)
    return parser


def test_playground_controls_are_labelled(web):
    response = web.get("/")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = parse(response.get_data(as_text=True))
    names = {c.get("name") for c in page.controls}
    assert {"temperature", "top_k", "top_p", "min_p", "repetition_penalty", "frequency_penalty",
            "presence_penalty", "preset", "order", "source"} <= names
    for control in page.controls:
        assert control.get("id") in page.labelled or control.get("aria-label"), control
    ranges = [c for c in page.controls if c.get("type") == "range"]
    assert ranges and all(c["data-for"] in page.labelled for c in ranges)  # a number box beside
    assert {b.get("id") for b in page.buttons} >= {"sample-button"}


def test_runs_are_pages_for_browsers_and_json_otherwise(web, database):
    _, run_id = database
    for path in ("/runs", f"/runs/{run_id}"):
        page = web.get(path, headers={"Accept": CHROME_ACCEPT})
        assert page.status_code == 200 and page.mimetype == "text/html", path
        assert "Accept" in page.vary
        for accept in (None, "*/*", "application/json", "application/json, text/html"):
            headers = {"Accept": accept} if accept else {}
            data = web.get(path, headers=headers)
            assert data.status_code == 200 and data.mimetype == "application/json", accept
            assert "Accept" in data.vary
    assert web.get("/runs", headers={"Accept": "text/html"}).get_json(silent=True) is None
    assert web.get("/runs").get_json()["items"][0]["id"] == run_id
    missing = web.get("/runs/999999", headers={"Accept": "application/json"})
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    cells = web.get(f"/runs/{run_id}/cells", headers={"Accept": CHROME_ACCEPT})
    assert cells.mimetype == "application/json"  # only /runs and /runs/{id} have pages


def test_pages_are_not_in_the_openapi_document(web):
    paths = web.get("/openapi.json").get_json()["paths"]
    assert "/" not in paths and not any(path.startswith("/ui") for path in paths)


def _status(client, path: str) -> int:
    """GET a static file and close it (send_file keeps the file open until then)."""
    with client.get(path) as response:
        return response.status_code


def test_assets_are_local_and_every_import_resolves(web):
    files = sorted(p for p in STATIC.rglob("*") if p.is_file())
    assert files
    for path in files:
        text = path.read_text()
        urls = set(re.findall(r"https?://[^\s'\"`)]+", text)) - {"http://www.w3.org/2000/svg"}
        assert not urls, f"{path.name} references {urls}"
        for module in re.findall(r"from '(\./[\w.]+)'", text):
            assert (path.parent / module).is_file(), f"{path.name} imports missing {module}"
        assert _status(web, f"/ui/static/{path.relative_to(STATIC).as_posix()}") == 200
    for page in ("/", "/runs"):
        refs = parse(web.get(page, headers={"Accept": "text/html"}).get_data(as_text=True)).refs
        local = [ref for ref in refs if ref.startswith("/ui/static/")]
        assert local and all(_status(web, ref) == 200 for ref in local)
        assert not [ref for ref in refs if ref.startswith(("http:", "https:", "//"))]


def test_pages_stay_public_with_an_api_token_but_the_api_does_not(make_app):
    client = make_app(API_TOKEN="s3cret").test_client()
    html = {"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"}
    assert client.get("/", headers=html).status_code == 200
    asset = client.get("/ui/static/js/api.js")
    asset.close()  # a file response: release the handle
    assert asset.status_code == 200
    assert client.get("/runs", headers=html).status_code == 200
    assert client.get("/runs", headers={"Accept": "application/json"}).status_code == 401
    assert client.post("/sample", json={"logits": [0.0, 1.0]}).status_code == 401
    authorized = client.post("/sample", json={"logits": [0.0, 1.0]},
                             headers={"Authorization": "Bearer s3cret"})
    assert authorized.status_code == 200


def test_under_an_api_token_a_run_page_does_not_tell_whether_the_run_exists(
        database, make_app, tmp_path):
    url, run_id = database
    html = {"Accept": CHROME_ACCEPT}
    pages = []
    for db in (url, f"sqlite:///{tmp_path / 'empty.db'}"):  # run_id is stored in one only
        client = make_app(API_TOKEN="s3cret", DATABASE_URL=db).test_client()
        page = client.get(f"/runs/{run_id}", headers=html)
        assert page.status_code == 200
        pages.append(page.get_data(as_text=True))
        data = client.get(f"/runs/{run_id}", headers={"Accept": "application/json"})
        assert data.status_code == 401
    assert pages[0] == pages[1]
    # Without a token the page says it outright.
    open_client = make_app(DATABASE_URL=url).test_client()
    assert open_client.get("/runs/999999", headers=html).status_code == 404
