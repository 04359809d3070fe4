"""Keeping freed memory for reuse (glibc's allocator settings).

A week at a million residents allocates and frees arrays of 8-60 MB (one entry per resident or
per tie). With glibc's default settings such arrays are either mapped afresh from the operating
system (above the mmap threshold) or handed back to it when freed (heap trimming), so every week
pays again for the kernel to find and zero those pages: ~6,000 page faults a week, 35-50 ms of a
~400 ms week (measured at 1M residents on this project's machines; none at 100k, where the
arrays are below glibc's adaptive thresholds). That cost is what made time grow faster than the
population. Raising the thresholds keeps freed memory in the process for the next week's arrays.

``keep_freed_memory`` changes the settings of the whole process, once; the cost is that the
resident memory of a process does not shrink after a large model is dropped (it is reused by the
next one). It does nothing on platforms without glibc, and is skipped when the environment variable
``RESILIENCE_MALLOC_DEFAULTS`` is set.
"""

from __future__ import annotations

import ctypes
import os
import platform

_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3
MMAP_THRESHOLD = 512 << 20  # arrays up to 512 MB come from the heap (a tie array at 1M is ~63 MB)
TRIM_THRESHOLD = 1 << 30  # keep up to 1 GB of free memory at the top of the heap
TOP_PAD = 64 << 20  # grow the heap 64 MB at a time

_done = False


def keep_freed_memory() -> bool:
    """Apply the settings once per process; returns whether they are in force."""
    global _done
    if _done:
        return True
    if os.environ.get("RESILIENCE_MALLOC_DEFAULTS") or platform.system() != "Linux" \
            or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(None)
        ok = all(libc.mallopt(opt, value) == 1 for opt, value in (
            (_M_MMAP_THRESHOLD, MMAP_THRESHOLD), (_M_TRIM_THRESHOLD, TRIM_THRESHOLD), (_M_TOP_PAD, TOP_PAD)))
    except (OSError, AttributeError):
        return False
    _done = ok
    return ok
