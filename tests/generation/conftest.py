"""Generation tests keep the default model's disk cache in a temporary directory."""

import pytest


@pytest.fixture(autouse=True, scope="session")
def _cache_dir(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LOGITLAB_CACHE_DIR", str(tmp_path_factory.mktemp("logitlab-cache")))
        yield
