"""kill -9 mid-flight, restart, retry every unanswered create with its key: no duplicate.

The harness is the benchmark's (benchmarks/concurrency.py, which runs ten
cycles for docs/performance.md); here one cycle on a fresh SQLite file. The
reference is the client's own list of keys: the database must end with
exactly one row per key sent, every acknowledged one among them.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.concurrency import kill_run


def test_killed_server_and_keyed_retries_leave_one_row_per_create(tmp_path: Path) -> None:
    result = kill_run(f"sqlite:///{tmp_path / 'crash.sqlite3'}", cycles=1, seed=7, clients=4)
    assert result["creates_sent"] > 0
    assert result["unanswered_then_retried"] >= 1  # the kill caught requests in flight
    assert result["duplicates"] == 0
    assert result["lost"] == 0
    assert result["rows"] == result["creates_sent"]
