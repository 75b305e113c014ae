"""The Dockerfile: known instructions, FROM first, non-root, a healthcheck, real COPY sources."""

import fnmatch
import shlex
import tomllib

import dask

from runner.cli import main as logitlab_cli
from tests.deploy.helpers import ROOT, exec_form, repo_path

KNOWN = {"FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME",
         "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL"}


def _values(dockerfile, instruction):
    return [item["value"] for item in dockerfile if item["instruction"] == instruction]


def test_instructions_are_known_and_from_comes_first(dockerfile):
    names = [item["instruction"] for item in dockerfile]
    assert set(names) <= KNOWN, set(names) - KNOWN
    first = next(i for i, name in enumerate(names) if name != "ARG")
    assert names[first] == "FROM"
    assert _values(dockerfile, "FROM") == ["python:3.11-slim"]  # requires-python >= 3.11


def test_runs_as_a_non_root_user_before_serving(dockerfile):
    names = [item["instruction"] for item in dockerfile]
    users = _values(dockerfile, "USER")
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    assert names.index("USER") < names.index("CMD")
    created = " ".join(_values(dockerfile, "RUN"))
    assert f"useradd --create-home --uid 10001 {users[-1]}" in created


def test_one_healthcheck_probing_the_served_port(dockerfile):
    (check,) = _values(dockerfile, "HEALTHCHECK")
    options, _, command = check.partition("CMD ")
    assert {"--interval=10s", "--timeout=5s", "--retries=3"} <= set(options.split())
    words = exec_form(command)
    assert words[:2] == ["python", "/app/deploy/healthcheck.py"]
    assert repo_path(words[1]).is_file()
    assert words[2] == "http://127.0.0.1:8000/healthz"
    assert _values(dockerfile, "EXPOSE") == ["8000"]


def test_cmd_serves_on_the_exposed_port(dockerfile):
    (cmd,) = _values(dockerfile, "CMD")
    words = exec_form(cmd)
    assert words[0] == "logitlab" and words[1] in logitlab_cli.commands
    assert words[words.index("--port") + 1] == "8000" and "0.0.0.0" in words


def _ignored(path: str) -> bool:
    patterns = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    return any(fnmatch.fnmatch(path, p) or fnmatch.fnmatch(path, p.removeprefix("**/"))
               for p in patterns)


def test_copy_sources_exist_and_are_not_ignored(dockerfile):
    copies = _values(dockerfile, "COPY")
    assert copies and not _values(dockerfile, "ADD")
    for value in copies:
        *sources, _target = shlex.split(value)
        for source in sources:
            assert not source.startswith("--"), f"unexpected COPY flag {source}"
            assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
            assert not _ignored(source), f"COPY {source}: excluded by .dockerignore"


def test_the_files_pyproject_builds_with_are_copied(dockerfile):
    """setuptools refuses to build when the readme or a license file is missing."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    copied = {source for value in _values(dockerfile, "COPY")
              for source in shlex.split(value)[:-1]}
    needed = {"pyproject.toml", project["readme"], *project["license-files"]}
    assert needed <= copied, needed - copied


def test_pip_installs_extras_that_exist(dockerfile):
    optional = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    (install,) = [v for v in _values(dockerfile, "RUN") if "pip install" in v]
    extras = install.split("[", 1)[1].split("]", 1)[0].split(",")
    assert {"postgres", "dask", "load"} <= set(extras) <= set(optional)


def test_dask_config_unsets_the_malloc_trim_threshold(dockerfile):
    (env,) = _values(dockerfile, "ENV")
    settings = dict(part.split("=", 1) for part in shlex.split(env))
    directory = repo_path(settings["DASK_CONFIG"] + "/")
    config = dask.config.collect(paths=[str(directory)], env={})
    environ = config["distributed"]["nanny"]["pre-spawn-environ"]
    assert "MALLOC_TRIM_THRESHOLD_" in environ and environ["MALLOC_TRIM_THRESHOLD_"] is None
