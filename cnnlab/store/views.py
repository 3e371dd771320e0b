"""Read-only views the TUI needs over many experiments at once: capped counts, group heads and
statistics, lineage, curves of many runs, trainable layers, and a cheap "did anything change".

They live in the store so that the SQL, its indexes (migration m003) and its tests stay together,
and every view filters with the same `ExperimentQuery.where()` as `list_experiments`.
"""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cnnlab.store.connection import Store
from cnnlab.store.errors import InvalidValue, StoreError
from cnnlab.store.experiments import SORTABLE, ExperimentQuery
from cnnlab.store.records import Backend, Experiment, loads

Version = tuple[int, int]
CURVE_METRICS = ("loss", "accuracy", "val_loss", "val_accuracy")
DEFAULT_COUNT_CAP = 10_000
MAX_LINEAGE_DEPTH = 8
# SQLite's default limit on `?` parameters is 32,766 (999 before 3.32): stay well under both.
_CHUNK = 500
EVERYTHING = ExperimentQuery()
BACKENDS = tuple(backend.value for backend in Backend)


@dataclass(frozen=True)
class ListingQuery(ExperimentQuery):
    """An `ExperimentQuery` that can also keep only the experiments of some backends.

    Every list and count function takes it where it takes an `ExperimentQuery`: they all filter
    through `where()`, which adds the backend clause here.
    """

    backend: tuple[str, ...] = ()

    def where(self) -> tuple[str, list[Any]]:
        where, params = super().where()
        if not self.backend:
            return where, params
        for name in self.backend:
            if name not in BACKENDS:
                raise InvalidValue(
                    f"Unknown backend {name!r}; expected one of {', '.join(BACKENDS)}."
                )
        return _and(where, f"backend IN {_in(self.backend)}"), [*params, *self.backend]


@dataclass(frozen=True)
class Count:
    """How many experiments match: exact, or at least `value` when counting stopped at the cap."""

    value: int
    exact: bool

    def __str__(self) -> str:
        return f"{self.value:,}" if self.exact else f"{self.value:,}+"


@dataclass(frozen=True)
class GroupStats:
    """The matching members of one group of repeats, summarised (sample std, n - 1)."""

    group_id: int
    size: int
    best_val_accuracy: float | None
    mean_val_accuracy: float | None
    std_val_accuracy: float | None
    mean_train_seconds: float | None
    std_train_seconds: float | None


@dataclass(frozen=True)
class TrainableLayers:
    """What a transfer experiment froze and trained (from its `transfer` event)."""

    frozen_layers: list[str]
    trainable_layers: list[str]
    frozen_params: int | None
    trainable_params: int | None


def data_version(store: Store) -> Version:
    """SQLite's counter of commits by other connections, with this connection's own change count.

    Jobs write from their processes and the TUI's stop or submit from this connection: when
    neither number moved, nothing needs re-reading. A file that disappeared raises StoreError.
    """
    if not store.path.exists():
        raise StoreError(
            f"{store.path} has disappeared; restore it or start cnnlab with another --db."
        )
    with store.lock:
        version = int(store.read("PRAGMA data_version")[0][0])
        return version, store.conn.total_changes


def _in(ids: Sequence[object]) -> str:
    return f"({', '.join('?' * len(ids))})"


def _and(where: str, clause: str) -> str:
    return f"{where} AND {clause}" if where else f" WHERE {clause}"


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield list(ids[start : start + _CHUNK])


def _order(query: ExperimentQuery) -> str:
    if query.sort not in SORTABLE:
        raise InvalidValue(f"Cannot sort by {query.sort!r}; sortable: {', '.join(SORTABLE)}.")
    if query.limit < 1 or query.offset < 0:
        raise InvalidValue("The page limit must be at least 1 and the offset at least 0.")
    direction = "DESC" if query.descending else "ASC"
    tie = "" if query.sort == "id" else f", id {direction}"
    return f" ORDER BY {query.sort} {direction}{tie}"


def _count(store: Store, where: str, params: list[Any], cap: int) -> Count:
    if not where:
        # A bare count(*) walks the smallest index: cheap even for 100,000 rows.
        return Count(int(store.read("SELECT count(*) FROM experiments")[0][0]), True)
    rows = store.read(
        f"SELECT count(*) FROM (SELECT 1 FROM experiments{where} LIMIT ?)", [*params, cap + 1]
    )
    found = int(rows[0][0])
    return Count(min(found, cap), found <= cap)


def count_matching(
    store: Store, query: ExperimentQuery = EVERYTHING, *, cap: int = DEFAULT_COUNT_CAP
) -> Count:
    """How many experiments match `query`, counting no further than `cap` under a filter."""
    where, params = query.where()
    return _count(store, where, params, cap)


def _head_where(query: ExperimentQuery) -> tuple[str, list[Any]]:
    where, params = query.where()
    # Unqualified columns in the inner WHERE resolve to the inner table `g`, so the same filter
    # picks each group's first matching member.
    head = (
        "(group_id IS NULL OR id = (SELECT min(g.id) FROM experiments g"
        f"{where or ' WHERE 1'} AND g.group_id = experiments.group_id))"
    )
    return _and(where, head), [*params, *params]


def list_group_heads(store: Store, query: ExperimentQuery = EVERYTHING) -> list[Experiment]:
    """One page of experiments without a group plus the first matching member of each group."""
    order = _order(query)
    where, params = _head_where(query)
    rows = store.read(
        f"SELECT * FROM experiments{where}{order} LIMIT ? OFFSET ?",
        [*params, query.limit, query.offset],
    )
    return [Experiment.from_row(row) for row in rows]


def count_group_heads(
    store: Store, query: ExperimentQuery = EVERYTHING, *, cap: int = DEFAULT_COUNT_CAP
) -> Count:
    """How many rows `list_group_heads` has over all pages (capped like `count_matching`)."""
    where, params = _head_where(query)
    return _count(store, where, params, cap)


def _std(count: int, total: float | None, squares: float | None) -> float | None:
    if count < 2 or total is None or squares is None:
        return None if count < 1 or total is None else 0.0
    mean = total / count
    return math.sqrt(max(0.0, (squares - count * mean * mean) / (count - 1)))


def group_stats(
    store: Store, group_ids: Iterable[int], query: ExperimentQuery | None = None
) -> dict[int, GroupStats]:
    """Per group: matching members, best and mean ± std of best val accuracy and train time.

    With `query`, only members matching its filter count (its paging and order are ignored).
    """
    ids = sorted(set(group_ids))
    where, params = dataclasses.replace(query, roots_only=False).where() if query else ("", [])
    found: dict[int, GroupStats] = {}
    for chunk in _chunks(ids):
        rows = store.read(
            "SELECT group_id, count(*), max(best_val_accuracy),"
            " count(best_val_accuracy), sum(best_val_accuracy),"
            " sum(best_val_accuracy * best_val_accuracy),"
            " count(train_seconds), sum(train_seconds), sum(train_seconds * train_seconds)"
            f" FROM experiments{_and(where, f'group_id IN {_in(chunk)}')} GROUP BY group_id",
            [*params, *chunk],
        )
        for row in rows:
            acc_n, acc_sum, acc_sq, time_n, time_sum, time_sq = row[3:9]
            found[row[0]] = GroupStats(
                group_id=row[0],
                size=row[1],
                best_val_accuracy=row[2],
                mean_val_accuracy=acc_sum / acc_n if acc_n else None,
                std_val_accuracy=_std(acc_n, acc_sum, acc_sq),
                mean_train_seconds=time_sum / time_n if time_n else None,
                std_train_seconds=_std(time_n, time_sum, time_sq),
            )
    return found


def group_members(
    store: Store, group_ids: Iterable[int], query: ExperimentQuery | None = None
) -> dict[int, list[Experiment]]:
    """The (matching) members of each group, oldest first."""
    ids = sorted(set(group_ids))
    where, params = dataclasses.replace(query, roots_only=False).where() if query else ("", [])
    members: dict[int, list[Experiment]] = defaultdict(list)
    for chunk in _chunks(ids):
        rows = store.read(
            f"SELECT * FROM experiments{_and(where, f'group_id IN {_in(chunk)}')} ORDER BY id",
            [*params, *chunk],
        )
        for row in rows:
            experiment = Experiment.from_row(row)
            assert experiment.group_id is not None
            members[experiment.group_id].append(experiment)
    return dict(members)


def children_of(
    store: Store, parent_ids: Iterable[int], *, depth: int = MAX_LINEAGE_DEPTH
) -> dict[int, list[Experiment]]:
    """All descendants of `parent_ids` down to `depth` levels, oldest first, by parent id.

    This is the lineage: pretraining -> transfer fine-tunes -> conversions -> benchmarks.
    """
    found: dict[int, list[Experiment]] = defaultdict(list)
    seen = set(parent_ids)
    frontier = sorted(seen)
    for _ in range(depth):
        if not frontier:
            break
        next_frontier: list[int] = []
        for chunk in _chunks(frontier):
            rows = store.read(
                f"SELECT * FROM experiments WHERE parent_id IN {_in(chunk)} ORDER BY id", chunk
            )
            for row in rows:
                child = Experiment.from_row(row)
                assert child.parent_id is not None
                if child.id in seen:  # a cycle written by hand: show each row once
                    continue
                seen.add(child.id)
                found[child.parent_id].append(child)
                next_frontier.append(child.id)
        frontier = next_frontier
    return dict(found)


def experiments_by_ids(store: Store, experiment_ids: Sequence[int]) -> list[Experiment]:
    """The experiments with these ids, in the order given (unknown ids are left out)."""
    by_id: dict[int, Experiment] = {}
    for chunk in _chunks(experiment_ids):
        for row in store.read(f"SELECT * FROM experiments WHERE id IN {_in(chunk)}", chunk):
            experiment = Experiment.from_row(row)
            by_id[experiment.id] = experiment
    return [by_id[i] for i in dict.fromkeys(experiment_ids) if i in by_id]


def ran_between(store: Store, start: float, end: float) -> list[Experiment]:
    """Local jobs that ran at some moment between `start` and `end` (a host bench's
    neighbours: one that started and ended inside the bench counts too)."""
    rows = store.read(
        "SELECT * FROM experiments WHERE backend = 'local' AND started_at IS NOT NULL"
        " AND started_at <= ? AND (finished_at IS NULL OR finished_at >= ?)"
        " AND status != 'queued' ORDER BY id",
        (end, start),
    )
    return [Experiment.from_row(row) for row in rows]


def epoch_curves(
    store: Store, experiment_ids: Sequence[int], metrics: Sequence[str] = CURVE_METRICS
) -> dict[int, dict[str, list[float | None]]]:
    """Per experiment, per metric: `values[i]` at epoch i + 1 (None where not logged)."""
    unknown = sorted(set(metrics) - set(CURVE_METRICS))
    if unknown:
        raise InvalidValue(f"Unknown curve metrics {unknown}; expected some of {CURVE_METRICS}.")
    columns = ", ".join(metrics)
    curves: dict[int, dict[str, list[float | None]]] = {}
    for chunk in _chunks(experiment_ids):
        rows = store.read(
            f"SELECT experiment_id, epoch, {columns} FROM epochs"
            f" WHERE experiment_id IN {_in(chunk)} ORDER BY experiment_id, epoch",
            chunk,
        )
        for row in rows:
            per = curves.get(row[0])
            if per is None:
                per = curves[row[0]] = {name: [] for name in metrics}
            index = row[1] - 1
            for offset, name in enumerate(metrics):
                values = per[name]
                if len(values) < index:
                    values.extend([None] * (index - len(values)))
                if len(values) == index:
                    values.append(row[2 + offset])
                else:
                    values[index] = row[2 + offset]
    return curves


def trainable_layers(store: Store, experiment_ids: Sequence[int]) -> dict[int, TrainableLayers]:
    """The layers frozen and trained: a transfer's from its last `transfer` event, a recorded
    fit's (`cnnlab.keras.Recorder`) from its `frozen` event, which has the same fields."""
    found: dict[int, TrainableLayers] = {}
    for chunk in _chunks(experiment_ids):
        rows = store.read(
            "SELECT experiment_id, data FROM events WHERE kind IN ('transfer', 'frozen')"
            f" AND experiment_id IN {_in(chunk)} ORDER BY id",
            chunk,
        )
        for experiment_id, data in rows:
            value = loads(data)
            if not isinstance(value, dict):
                continue
            found[experiment_id] = TrainableLayers(
                frozen_layers=[str(x) for x in value.get("frozen_layers") or []],
                trainable_layers=[str(x) for x in value.get("trainable_layers") or []],
                frozen_params=_int(value.get("frozen_params")),
                trainable_params=_int(value.get("trainable_params")),
            )
    return found


def _int(value: object) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
