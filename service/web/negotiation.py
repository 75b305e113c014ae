"""Content negotiation: does this request prefer an HTML page to the JSON document?"""

from flask import Request

HTML, JSON = "text/html", "application/json"


def wants_html(request: Request) -> bool:
    """True when a GET's Accept header ranks text/html above JSON (a browser's navigation)."""
    if request.method != "GET":
        return False
    accept = request.accept_mimetypes
    return accept.best_match([JSON, HTML]) == HTML and accept[HTML] > accept[JSON]
