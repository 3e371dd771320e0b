"""Store reads the screens run in their workers: one page of the table, new epochs and events,
the tail of a log, many runs' curves at once.

They build on `cnnlab.store`'s public queries; where the TUI needs a shape the store does not
offer (a page of groups, the children of a page, 2,000 runs' curves) it reads with the same
`ExperimentQuery.where()` through `Store.read`, so filters mean the same everywhere.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cnnlab.store import (
    SORTABLE,
    Artifact,
    Epoch,
    Event,
    Experiment,
    ExperimentQuery,
    InvalidValue,
    Store,
    StoreError,
    count_experiments,
    get_experiment,
    list_artifacts,
    list_epochs,
    list_events,
    list_experiments,
)

MAX_TREE_DEPTH = 8


@dataclass(frozen=True)
class GroupSummary:
    """The repeats of one group: how many match, their best and mean accuracy."""

    group_id: int
    size: int
    best_val_accuracy: float | None
    mean_val_accuracy: float | None


@dataclass(frozen=True)
class TableRow:
    """One line of the experiments table: an experiment (indented in tree view) or a group."""

    experiment: Experiment
    depth: int = 0
    group: GroupSummary | None = None  # set on a group's head row
    expanded: bool = False

    @property
    def key(self) -> str:
        if self.group is not None:
            return f"g{self.group.group_id}"
        return f"e{self.experiment.id}"


@dataclass(frozen=True)
class Page:
    rows: list[TableRow]
    total: int
    data_version: Version


Version = tuple[int, int]


def data_version(store: Store) -> Version:
    """SQLite's counter of commits by other connections, with this connection's own change
    count (jobs write from their processes; the TUI's stop or submit from this one): when
    neither moved there is nothing to re-read.
    """
    if not store.path.exists():
        raise StoreError(
            f"{store.path} has disappeared; restore it or start cnnlab with another --db."
        )
    with store.lock:
        version = int(store.read("PRAGMA data_version")[0][0])
        return version, store.conn.total_changes


def read_page(
    store: Store,
    query: ExperimentQuery,
    *,
    tree: bool,
    groups: bool,
    expanded: frozenset[int] = frozenset(),
) -> Page:
    """The rows of one page: flat, children under their parents, and/or repeats folded."""
    version = data_version(store)
    with store.snapshot():
        if tree:
            query = dataclasses.replace(query, roots_only=True)
        if groups:
            heads, total = _group_heads(store, query)
        else:
            heads, total = list_experiments(store, query), count_experiments(store, query)
        summaries = _group_summaries(store, query, heads) if groups else {}
        members = _group_members(store, query, summaries, expanded)
        rows: list[TableRow] = []
        for experiment in heads:
            summary = summaries.get(experiment.group_id) if experiment.group_id else None
            if summary is not None and summary.size > 1:
                is_open = summary.group_id in expanded
                rows.append(TableRow(experiment, group=summary, expanded=is_open))
                if is_open:
                    rows += [TableRow(m, depth=1) for m in members[summary.group_id]]
            else:
                rows.append(TableRow(experiment))
        if tree:
            rows = _with_children(store, query, rows)
    return Page(rows, total, version)


def _group_heads(store: Store, query: ExperimentQuery) -> tuple[list[Experiment], int]:
    """Experiments without a group, and the first matching member of each group."""
    if query.sort not in SORTABLE:
        raise InvalidValue(f"Cannot sort by {query.sort!r}.")
    where, params = query.where()
    # Unqualified columns in the inner WHERE resolve to the inner table `g`, so the same filter
    # picks each group's first matching member.
    head = (
        "(group_id IS NULL OR id = (SELECT min(g.id) FROM experiments g"
        f"{where or ' WHERE 1'} AND g.group_id = experiments.group_id))"
    )
    outer = f"{where} AND {head}" if where else f" WHERE {head}"
    direction = "DESC" if query.descending else "ASC"
    tie = "" if query.sort == "id" else f", id {direction}"
    rows = store.read(
        f"SELECT * FROM experiments{outer} ORDER BY {query.sort} {direction}{tie} LIMIT ? OFFSET ?",
        [*params, *params, query.limit, query.offset],
    )
    total = store.read(f"SELECT count(*) FROM experiments{outer}", [*params, *params])[0][0]
    return [Experiment.from_row(r) for r in rows], int(total)


def _in(ids: Sequence[int]) -> str:
    return f"({', '.join('?' * len(ids))})"


def _and(where: str, clause: str) -> str:
    return f"{where} AND {clause}" if where else f" WHERE {clause}"


def _group_summaries(
    store: Store, query: ExperimentQuery, heads: list[Experiment]
) -> dict[int, GroupSummary]:
    ids = sorted({e.group_id for e in heads if e.group_id is not None})
    if not ids:
        return {}
    where, params = dataclasses.replace(query, roots_only=False).where()
    rows = store.read(
        "SELECT group_id, count(*), max(best_val_accuracy), avg(best_val_accuracy) FROM "
        f"experiments{_and(where, f'group_id IN {_in(ids)}')} GROUP BY group_id",
        [*params, *ids],
    )
    return {r[0]: GroupSummary(r[0], r[1], r[2], r[3]) for r in rows}


def _group_members(
    store: Store,
    query: ExperimentQuery,
    summaries: dict[int, GroupSummary],
    expanded: frozenset[int],
) -> dict[int, list[Experiment]]:
    ids = sorted(g for g in summaries if g in expanded)
    members: dict[int, list[Experiment]] = defaultdict(list)
    if not ids:
        return members
    where, params = dataclasses.replace(query, roots_only=False).where()
    rows = store.read(
        f"SELECT * FROM experiments{_and(where, f'group_id IN {_in(ids)}')} ORDER BY id",
        [*params, *ids],
    )
    for row in rows:
        experiment = Experiment.from_row(row)
        assert experiment.group_id is not None
        members[experiment.group_id].append(experiment)
    return members


def _with_children(store: Store, query: ExperimentQuery, rows: list[TableRow]) -> list[TableRow]:
    """Insert each row's descendants (depth first, oldest first) below it."""
    children = children_of(store, [row.experiment.id for row in rows])
    out: list[TableRow] = []

    def add(row: TableRow) -> None:
        out.append(row)
        if row.depth >= MAX_TREE_DEPTH:
            return
        for child in children.get(row.experiment.id, []):
            add(TableRow(child, depth=row.depth + 1))

    for row in rows:
        add(row)
    return out


def children_of(store: Store, parent_ids: Iterable[int]) -> dict[int, list[Experiment]]:
    """All descendants of `parent_ids` (up to MAX_TREE_DEPTH levels), by parent id."""
    found: dict[int, list[Experiment]] = defaultdict(list)
    frontier = sorted(set(parent_ids))
    for _ in range(MAX_TREE_DEPTH):
        if not frontier:
            break
        rows = store.read(
            f"SELECT * FROM experiments WHERE parent_id IN {_in(frontier)} ORDER BY id", frontier
        )
        frontier = []
        for row in rows:
            child = Experiment.from_row(row)
            assert child.parent_id is not None
            found[child.parent_id].append(child)
            frontier.append(child.id)
    return found


@dataclass(frozen=True)
class News:
    experiment: Experiment
    epochs: list[Epoch]
    events: list[Event]
    artifacts: list[Artifact]
    data_version: Version


def read_news(store: Store, experiment_id: int, last_epoch: int, last_event_id: int) -> News:
    """The experiment row plus epochs and events newer than those already shown."""
    version = data_version(store)
    with store.snapshot():
        experiment = get_experiment(store, experiment_id)
        epochs = list_epochs(store, experiment_id, after=last_epoch)
        events = list_events(store, experiment_id, after_id=last_event_id)
        artifacts = list_artifacts(store, experiment_id)
    return News(experiment, epochs, events, artifacts, version)


@dataclass(frozen=True)
class LogChunk:
    text: str
    offset: int
    reset: bool  # the file shrank or was replaced: start over


MAX_LOG_TAIL = 256 * 1024


def read_log(path: Path, offset: int) -> LogChunk:
    """Bytes of `path` after `offset` (at most the last 256 KiB the first time)."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return LogChunk("", 0, offset > 0)
    reset = size < offset
    if reset:
        offset = 0
    start = max(offset, size - MAX_LOG_TAIL) if offset == 0 else offset
    if start >= size:
        return LogChunk("", size, reset)
    with path.open("rb") as handle:
        handle.seek(start)
        data = handle.read(size - start)
    # Only whole lines: a line still being written is read on the next poll.
    cut = data.rfind(b"\n") + 1
    return LogChunk(data[:cut].decode("utf-8", "replace"), start + cut, reset)


@dataclass(frozen=True)
class Curves:
    """Per-experiment metric curves for the compare screen."""

    experiments: list[Experiment]
    metrics: dict[int, dict[str, list[float | None]]]


CURVE_METRICS = ("loss", "accuracy", "val_loss", "val_accuracy")


def read_curves(store: Store, experiment_ids: Sequence[int]) -> Curves:
    """Experiments and their epoch curves, in chunks of ids (SQLite's variable limit)."""
    experiments: list[Experiment] = []
    metrics: dict[int, dict[str, list[float | None]]] = {}
    with store.snapshot():
        for start in range(0, len(experiment_ids), 500):
            chunk = list(experiment_ids[start : start + 500])
            rows = store.read(f"SELECT * FROM experiments WHERE id IN {_in(chunk)}", chunk)
            experiments += [Experiment.from_row(r) for r in rows]
            epochs = store.read(
                f"SELECT experiment_id, epoch, {', '.join(CURVE_METRICS)} FROM epochs "
                f"WHERE experiment_id IN {_in(chunk)} ORDER BY experiment_id, epoch",
                chunk,
            )
            for row in epochs:
                curves = metrics.setdefault(row[0], {name: [] for name in CURVE_METRICS})
                index = row[1] - 1
                for offset, name in enumerate(CURVE_METRICS):
                    values = curves[name]
                    values.extend([None] * (index + 1 - len(values)))
                    values[index] = row[2 + offset]
    order = {experiment_id: i for i, experiment_id in enumerate(experiment_ids)}
    experiments.sort(key=lambda e: order[e.id])
    return Curves(experiments, metrics)
