"""Container healthcheck: exit 0 when GET URL answers 200 within the timeout, else 1.

    python deploy/healthcheck.py http://127.0.0.1:8000/healthz [--timeout 3]

Standard library only: the slim image has neither curl nor wget.
"""

from __future__ import annotations

import argparse
import sys
import urllib.error
import urllib.request


def healthy(url: str, timeout: float) -> bool:
    """True when `url` answers HTTP 200."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--timeout", type=float, default=3.0)
    args = parser.parse_args(argv)
    ok = healthy(args.url, args.timeout)
    if not ok:
        print(f"unhealthy: {args.url}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
