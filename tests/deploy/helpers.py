"""Lookups over parsed deployment files."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The image's WORKDIR: a path under it in a container is the same path in the checkout.
APP = "/app/"


def repo_path(container_path: str) -> Path:
    """The checkout file a /app/... path in the image comes from."""
    assert container_path.startswith(APP), container_path
    return ROOT / container_path.removeprefix(APP)


def directives(block: list[dict], name: str) -> list[dict]:
    """Every crossplane directive called `name` directly inside `block`."""
    return [d for d in block if d["directive"] == name]


def only(block: list[dict], name: str) -> dict:
    """The single directive `name` inside `block`."""
    found = directives(block, name)
    assert len(found) == 1, f"{len(found)} {name!r} directives"
    return found[0]


def exec_form(value: str) -> list[str]:
    """A Dockerfile CMD/ENTRYPOINT/HEALTHCHECK CMD value in JSON exec form."""
    parsed = json.loads(value)
    assert isinstance(parsed, list) and all(isinstance(p, str) for p in parsed), value
    return parsed


def command_words(service: dict) -> list[str]:
    """A compose service's command as a list (exec form is required here)."""
    command = service["command"]
    assert isinstance(command, list), f"use exec form, not {command!r}"
    return command


# Run in a child process: importing locust monkey-patches the standard library (gevent).
_LOCUST_CLI = """
import json, sys
from locust.argument_parser import get_parser
from locust.util.load_locustfile import load_locustfile
out = []
for words, locustfile in json.loads(sys.argv[1]):
    options = get_parser(default_config_files=[]).parse_args(words)
    users, _shapes = load_locustfile(locustfile)
    out.append({"locustfile": options.locustfile, "user_classes": options.user_classes,
                "defined": sorted(users)})
print(json.dumps(out))
"""


def locust_commands(*commands: list[str]) -> list[dict]:
    """Each `locust ...` command as locust's own parser reads it: its locustfile, the user
    classes it names, and the runnable (non-abstract) user classes that locustfile defines."""
    jobs = []
    for words in commands:
        assert words[0] == "locust", words
        options = words[1:]
        jobs.append([options, str(repo_path(options[options.index("-f") + 1]))])
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCUST_")}
    done = subprocess.run([sys.executable, "-c", _LOCUST_CLI, json.dumps(jobs)], env=env,
                          cwd=ROOT / "tests", capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])
