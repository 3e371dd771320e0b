"""Store reads the screens run in their workers: one page of the table, new epochs and events,
the tail of a log, many runs' curves at once.

Every query is a typed function of `cnnlab.store` (its `views` module for the many-row shapes:
group heads, lineage, curves), so filters mean the same here as in the CLI.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cnnlab.store import (
    CURVE_METRICS,
    Artifact,
    Count,
    Epoch,
    Event,
    Experiment,
    ExperimentQuery,
    GroupStats,
    Store,
    TrainableLayers,
    Version,
    children_of,
    count_group_heads,
    count_matching,
    data_version,
    epoch_curves,
    experiments_by_ids,
    get_experiment,
    group_members,
    group_stats,
    list_artifacts,
    list_epochs,
    list_events,
    list_experiments,
    list_group_heads,
    trainable_layers,
)

__all__ = ["CURVE_METRICS", "Version", "data_version"]

MAX_TREE_DEPTH = 8


@dataclass(frozen=True)
class TableRow:
    """One line of the experiments table: an experiment (indented in tree view) or a group."""

    experiment: Experiment
    depth: int = 0
    group: GroupStats | None = None  # set on a group's head row
    expanded: bool = False

    @property
    def key(self) -> str:
        if self.group is not None:
            return f"g{self.group.group_id}"
        return f"e{self.experiment.id}"


@dataclass(frozen=True)
class Page:
    rows: list[TableRow]
    count: Count
    data_version: Version

    @property
    def total(self) -> int:
        return self.count.value


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
            heads, count = list_group_heads(store, query), count_group_heads(store, query)
        else:
            heads, count = list_experiments(store, query), count_matching(store, query)
        ids = {e.group_id for e in heads if e.group_id is not None} if groups else set()
        summaries = group_stats(store, ids, query) if ids else {}
        members = group_members(store, [g for g in summaries if g in expanded], query)
        rows: list[TableRow] = []
        for experiment in heads:
            summary = summaries.get(experiment.group_id) if experiment.group_id else None
            if summary is not None and summary.size > 1:
                is_open = summary.group_id in expanded
                rows.append(TableRow(experiment, group=summary, expanded=is_open))
                if is_open:
                    rows += [TableRow(m, depth=1) for m in members.get(summary.group_id, [])]
            else:
                rows.append(TableRow(experiment))
        if tree:
            rows = _with_children(store, rows)
    return Page(rows, count, version)


def _with_children(store: Store, rows: list[TableRow]) -> list[TableRow]:
    """Insert each row's descendants (depth first, oldest first) below it: the lineage from
    pretraining to fine-tunes to conversions to benchmarks.
    """
    children = children_of(store, [row.experiment.id for row in rows], depth=MAX_TREE_DEPTH)
    out: list[TableRow] = []
    placed: set[int] = set()

    def add(row: TableRow) -> None:
        out.append(row)
        placed.add(row.experiment.id)
        if row.depth >= MAX_TREE_DEPTH:
            return
        for child in children.get(row.experiment.id, []):
            if child.id not in placed:
                add(TableRow(child, depth=row.depth + 1))

    for row in rows:
        add(row)
    return out


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
    """Per-experiment metric curves for the compare screen, with what each froze and trained."""

    experiments: list[Experiment]
    metrics: dict[int, dict[str, list[float | None]]]
    layers: dict[int, TrainableLayers] = dataclasses.field(default_factory=dict)


def read_curves(store: Store, experiment_ids: Sequence[int]) -> Curves:
    """Experiments, their epoch curves and their transfer layers, in one snapshot."""
    with store.snapshot():
        experiments = experiments_by_ids(store, experiment_ids)
        metrics = epoch_curves(store, experiment_ids)
        layers = trainable_layers(store, experiment_ids)
    return Curves(experiments, metrics, layers)
