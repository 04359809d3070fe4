"""Refresh the fixed-seed baseline checked by tests/test_baseline.py.

    python scripts/refresh_baseline.py

Run this only when a model change is meant to change results; commit the new file with a message
saying why the numbers moved. The test never rewrites it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from tests.test_baseline import BASELINE, baseline_summary  # noqa: E402


def main() -> None:
    out = baseline_summary()
    tmp = BASELINE.with_suffix(".tmp")
    tmp.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    tmp.replace(BASELINE)
    print(f"wrote {BASELINE} ({len(out)} numbers)")


if __name__ == "__main__":
    main()
