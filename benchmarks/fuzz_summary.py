"""Adds up the schema fuzz run's figures (``tests/test_fuzz_api.py`` appends one line per operation to
``test-artifacts/fuzz-<worker>.jsonl``): operations, calls and status codes. ``python -m benchmarks.fuzz_summary``."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def main() -> None:
    operations: set[str] = set()
    statuses: Counter[str] = Counter()
    for path in sorted(ARTIFACTS.glob("fuzz-*.jsonl")):
        for line in path.read_text().splitlines():
            row = json.loads(line)
            operations.add(row["operation"])
            statuses.update({str(k): v for k, v in row["statuses"].items()})
    if not operations:
        print(f"no fuzz figures in {ARTIFACTS} (run the test suite or tests/test_fuzz_api.py first)")
        return
    calls = sum(statuses.values())
    errors = sum(v for k, v in statuses.items() if k.startswith("5"))
    print(f"schema fuzz: {len(operations)} operations, {calls} calls, {errors} server errors")
    print("status codes: " + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())))


if __name__ == "__main__":
    main()
