"""model/memory.py: the allocator settings keep freed memory for reuse (Linux with glibc)."""

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                                reason="the settings exist only with glibc")

# allocate and free a 40 MB array 30 times, touching every page, and print the page faults
LOOP = """
import resource, sys
import numpy as np
sys.path.insert(0, {root!r})
from model.memory import keep_freed_memory
print(keep_freed_memory(), keep_freed_memory())
f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(30):
    a = np.ones(5_000_000)
    del a
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0)
"""


def run(env_extra):
    # 4 KB pages (no transparent huge pages for numpy's arrays), so faults count pages touched
    env = {k: v for k, v in os.environ.items() if k != "RESILIENCE_MALLOC_DEFAULTS"} | {
        "NUMPY_MADVISE_HUGEPAGE": "0"} | env_extra
    out = subprocess.run([sys.executable, "-c", LOOP.format(root=str(Path(__file__).resolve().parents[1]))],
                         env=env, capture_output=True, text=True, check=True).stdout.split("\n")
    return out[0], int(out[1])


def test_freed_memory_is_reused_instead_of_faulted_in_again():
    applied, faults = run({})
    default, faults_default = run({"RESILIENCE_MALLOC_DEFAULTS": "1"})
    assert applied == "True True"  # in force, and a second call is harmless
    assert default == "False False"  # the opt-out leaves glibc's defaults
    # default: each 40 MB array is mapped afresh and its ~9,800 pages faulted in, 30 times; kept:
    # only the first array's pages
    assert faults_default > 25 * 9_000, faults_default
    assert faults < 3 * 9_800, faults
