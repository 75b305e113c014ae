"""service.allocator: freed numpy blocks are reused instead of mapped and faulted in again."""

import ctypes
import platform
import subprocess
import sys

import pytest

from service import allocator

GLIBC = platform.libc_ver()[0] == "glibc"

# Page faults taken while allocating and filling two 1 MiB arrays 50 times.
FAULTS = """
import resource, sys
import numpy as np
if sys.argv[1] == "tuned":
    from service.allocator import tune
    assert tune()
np.ones(1 << 17)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(50):
    a, b = np.ones(1 << 17), np.ones(1 << 17)
    del a, b
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(mode: str) -> int:
    out = subprocess.run([sys.executable, "-c", FAULTS, mode], capture_output=True, text=True,
                         check=True, timeout=60)
    return int(out.stdout)


@pytest.mark.skipif(not GLIBC, reason="mallopt is glibc's")
def test_tuned_process_reuses_freed_blocks_instead_of_faulting_them_in_again():
    default, tuned = _faults("default"), _faults("tuned")
    assert default > 50 * 2 * 200  # each 1 MiB array: a fresh mapping, ~256 page faults
    assert tuned < default / 20


def test_without_a_c_library_tune_does_nothing(monkeypatch):
    def missing(name):
        raise OSError(f"{name}: cannot open shared object file")

    monkeypatch.setattr(ctypes, "CDLL", missing)
    assert allocator.tune() is False
