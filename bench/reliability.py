"""Reliability figures for issue 12: faults injected into real jobs, and what was lost (target 0).

Three kinds of rounds, all on real processes, the real kernel and real TensorFlow (tiny AlexNet
on generated 32 px images), through the CLI as a user would run it:
- lock loss: a 20-epoch training, `engine stop`, another writer, commands that open and close
  the database; every cnnlab process must hold its lock and every epoch must land;
- kill -9 of the scheduler or of the job at a seeded random moment, then `ls` until the row
  settles and `resume` if it is lost; each row must end done with epochs 1..N once each;
- a tmpfs that fills under the database, under runs/ and under one checkpoint folder (needs
  root to mount; skipped otherwise).
The baseline in the same run is the old way of reading the header: a plain open() and close()
of the database file next to a live connection, counted in the kernel's lock table.

Run: .venv/bin/python bench/reliability.py [--kill-rounds 20] [--lock-rounds 3] [--seed 7]
"""

from __future__ import annotations

import argparse
import platform
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from support.faults import (
    full_disk_round,
    kill_rounds,
    lock_loss_round,
    synth,
)

from cnnlab.store import open_store
from cnnlab.store.locks import holds_lock


def baseline_plain_open(folder: Path) -> tuple[bool, bool]:
    """Whether this process keeps its lock after a second open_store, and after a plain open()."""
    db = folder / "baseline.db"
    with open_store(db) as store:
        store.read("SELECT count(*) FROM experiments")
        with open_store(db):
            pass
        kept_by_store = bool(holds_lock(db))
        with db.open("rb") as handle:  # what _check_before_opening used to do
            handle.read(16)
        kept_by_plain_open = bool(holds_lock(db))
    return kept_by_store, kept_by_plain_open


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kill-rounds", type=int, default=20)
    parser.add_argument("--lock-rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(
        f"machine: {platform.processor() or platform.machine()}, {platform.platform()}, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )
    rows: list[tuple[str, int, str, str]] = []
    with tempfile.TemporaryDirectory() as temporary:
        base = Path(temporary)
        data = synth(base / "shapes")

        kept_by_store, kept_by_plain_open = baseline_plain_open(base)
        print(
            f"baseline: lock kept after a second open_store: {kept_by_store}; "
            f"after a plain open()/close() of the file: {kept_by_plain_open}"
        )

        started = time.monotonic()
        problems: list[str] = []
        for index in range(args.lock_rounds):
            folder = base / f"lock{index}"
            folder.mkdir()
            problems += lock_loss_round(folder, data)
        rows.append(
            (
                "lock loss (engine stop + other writers)",
                args.lock_rounds,
                f"{args.lock_rounds} x (engine stop, 1 writer, 3 ls)",
                f"{len(problems)} problems" + (f": {problems}" if problems else ""),
            )
        )
        print(f"lock loss: {args.lock_rounds} rounds, {time.monotonic() - started:.0f} s")

        started = time.monotonic()
        folder = base / "kills"
        folder.mkdir()
        report = kill_rounds(folder / "experiments.db", data, args.kill_rounds, args.seed)
        rows.append(
            (
                f"kill -9 at random moments (seed {args.seed})",
                report.rounds,
                f"scheduler {report.kills['scheduler']}, job {report.kills['job']}, "
                f"missed {report.missed}; {report.resumed} resumed",
                f"rows lost {report.rows_lost}, epochs {report.epochs_stored}/"
                f"{report.epochs_expected}, lockless samples {report.without_lock}"
                + (f"; {report.problems}" if report.problems else ""),
            )
        )
        print(f"kills: {report.rounds} rounds, {time.monotonic() - started:.0f} s")

        for where in ("database", "runs", "checkpoint"):
            folder = base / f"full-{where}"
            folder.mkdir()
            try:
                found = full_disk_round(folder, data, where)
            except PermissionError as exc:
                rows.append((f"full disk under {where}", 0, "skipped", str(exc)))
                continue
            rows.append(
                (
                    f"full disk under {where}",
                    1,
                    "ENOSPC during training",
                    f"{len(found)} problems" + (f": {found}" if found else ""),
                )
            )

    print()
    print("| fault | rounds | faults injected | lost / problems |")
    print("| --- | --- | --- | --- |")
    for fault, rounds, injected, result in rows:
        print(f"| {fault} | {rounds} | {injected} | {result} |")


if __name__ == "__main__":
    main()
