"""One burn-in per place and seed, shared by every session of the workshop server.

The eight settling-in years are the slow part of starting a run (about a second on the small place,
many seconds when a room of browsers asks at once). They depend only on the parameters that shape the
burn-in and the seed (:func:`model.api.burn_in_key`: not on the regime, funding path or horizon), so a
card, a regime change or a side-by-side run on the same seed can all start from the same settled place.

The post-burn-in model is kept here as pickled bytes, process-wide (one copy per key), and on disk in
the same format as the sweeps' burn-in cache (:func:`model.api._model_after_burn_in`), so a restarted
server does not compute it again. Every caller gets its **own** model, unpickled from the bytes: no two
sessions ever share a live model object. Unpickling the small place takes a few milliseconds.

:func:`warm` computes the burn-ins for the default seeds in a background thread when the server starts.
"""

from __future__ import annotations

import os
import pickle
import threading
from pathlib import Path

from model import Params
from model.api import _model_after_burn_in, burn_in_key

CACHE_ENV = "RESILIENCE_WORKSHOP_CACHE"  # overrides the on-disk folder
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CACHE_DIR = ROOT / "results" / "burn_in_cache"  # beside the sweeps' results/<study>/.../burn_in_cache

_lock = threading.Lock()
_key_locks: dict[str, threading.Lock] = {}
_pickled: dict[str, bytes] = {}
stats = {"computed": 0, "served": 0}  # for tests and the benchmark: how often the cache was missed/hit


def cache_dir() -> Path | None:
    """The on-disk folder (``RESILIENCE_WORKSHOP_CACHE``; ``off`` keeps the cache in memory only)."""
    value = os.environ.get(CACHE_ENV)
    if value == "off":
        return None
    return Path(value) if value else DEFAULT_CACHE_DIR


def settled_model(params: Params, seed: int):
    """A fresh model of ``params`` at week 0, after its burn-in, owned by the caller alone.

    The burn-in is computed at most once per key in this process (concurrent callers for the same key
    wait for the first); later calls unpickle a copy. The study parameters (regime, funding, horizon)
    are those of ``params``.
    """
    key = burn_in_key(params, seed)
    with _lock:
        key_lock = _key_locks.setdefault(key, threading.Lock())
    with key_lock:
        blob = _pickled.get(key)
        if blob is None:
            model = _model_after_burn_in(params, seed, cache_dir())
            blob = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
            _pickled[key] = blob
            stats["computed"] += 1
        else:
            stats["served"] += 1
    model = pickle.loads(blob)
    model.start_study(params)
    return model


def warm(params_list: list[Params], seeds: list[int]) -> threading.Thread:
    """Compute the burn-ins for these parameters and seeds in a background (daemon) thread."""

    def work() -> None:
        for params in params_list:
            for seed in seeds:
                try:
                    settled_model(params, seed)
                except Exception:  # a bad start is reported to the session that asks for it
                    pass

    thread = threading.Thread(target=work, name="workshop-burn-in", daemon=True)
    thread.start()
    return thread
