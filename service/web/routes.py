"""The `web` blueprint: GET / (playground) and HTML views of GET /runs and /runs/{id}."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request

from service.db import get_session
from service.db.models import METRICS, PARAMETERS
from service.runs.kinds import GENERATION_ENGINE, TOKEN, cell_kind, find_run
from service.sampling import PRESETS, STAGES
from service.security import PUBLIC_CHECKS
from service.web.controls import knobs_json
from service.web.negotiation import wants_html

# A plain Flask blueprint: the pages are not part of the API, so not in /openapi.json.
bp = Blueprint("web", __name__, template_folder="templates", static_folder="static",
               static_url_path="/ui/static")

# JSON endpoints of the runs blueprint that a browser's navigation gets as a page instead.
PAGES = {"runs.list_runs": "web/runs.html", "runs.show_run": "web/run.html"}
# The playground draws at most this many bars (more take seconds and no one reads them).
MAX_BARS = 1000


def _page_without_data(req) -> bool:
    """The playground, its assets and the dashboard's HTML shells hold no data: with an API
    token set they stay reachable, and the pages send the token on their own API calls."""
    return req.endpoint in ("web.playground", "web.static") or (
        req.endpoint in PAGES and wants_html(req))


@bp.record_once
def _register_public(state) -> None:
    state.app.extensions.setdefault(PUBLIC_CHECKS, []).append(_page_without_data)


@bp.get("/")
def playground() -> str:
    """The playground: logits source, knobs, before/after chart, trace and samples."""
    config = current_app.config
    return render_template("web/playground.html", knobs=knobs_json(), stages=list(STAGES),
                           presets={name: list(order) for name, order in PRESETS.items()},
                           max_vocab=config["MAX_VOCAB"], max_n=config["MAX_N"],
                           max_bars=MAX_BARS)


@bp.before_app_request
def runs_pages() -> str | tuple[str, int] | None:
    """Answer GET /runs and /runs/{id} with the dashboard page when the client prefers HTML."""
    template = PAGES.get(request.endpoint or "")
    if template is None or not wants_html(request):
        return None
    run_id = (request.view_args or {}).get("run_id")
    if run_id is None:
        return render_template(template, metrics=list(METRICS), parameters=list(PARAMETERS))
    # Under an API token the shell is public, so it must not tell whether the run exists or
    # what kind it is: the page's own authorized calls find out.
    run = None if current_app.config["API_TOKEN"] else find_run(get_session(), run_id)
    missing = run is None and not current_app.config["API_TOKEN"]
    kind = cell_kind(run) if run is not None else TOKEN
    # The id goes to the page as text: the JSON island cannot hold an integer beyond 64 bits.
    page = render_template(template, metrics=list(kind.metrics), parameters=list(PARAMETERS),
                           default_metric=kind.default_metric, run_id=str(run_id),
                           missing=missing, kinds=_kinds_for_page())
    return (page, 404) if missing else page


def _kinds_for_page() -> dict[str, dict]:
    """Statistics for a page that learns its run's engine late: the generation engine's cells,
    and every other engine's ("*")."""
    kinds = {GENERATION_ENGINE: cell_kind(GENERATION_ENGINE), "*": cell_kind("")}
    return {engine: {"metrics": list(kind.metrics), "default": kind.default_metric}
            for engine, kind in kinds.items()}


@bp.after_app_request
def vary_on_accept(response: Response) -> Response:
    """Caches must keep the page and the JSON of the same URL apart."""
    if request.endpoint in PAGES:
        response.vary.add("Accept")
    return response
