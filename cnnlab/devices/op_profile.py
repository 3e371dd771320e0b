"""Reads the per-operator tables `benchmark_model --enable_op_profiling=true` prints.

Paper 001 closes by asking which part of an architecture costs the time on a phone; the tool
answers it per TFLite node, and this module reads that answer. The text is the tool's own:
`ProfileSummaryDefaultFormatter::HandleOutput` (tflite/profiling/profile_summary_formatter.cc
in google-ai-edge/LiteRT) writes "Operator-wise Profiling Info for Regular Benchmark Runs:"
and then, per subgraph, the `StatsCalculator` tables of tsl/util/stats_calculator.cc: a
"Run Order" table of every node, tab-separated, whose columns are found by their header
(`[node type] [first] [avg ms] [%] [cdf%] [mem KB] [times called] [Name]`; TF 2.3 had a
`[start]` column too). A node's name is `[output tensors]:node_index`
(tflite/profiling/profile_summarizer.cc); what a delegate ran inside its kernel comes after
"Delegate internal:" as `Delegate/<op>:<index>`. TF 2.0 printed the tables with no header.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

_PREFIX = re.compile(r"^\s*(?:(?:INFO|WARN|WARNING|VERBOSE|DEBUG)\s*:\s*)?")
_REGULAR = "Operator-wise Profiling Info for Regular Benchmark Runs:"
_INIT = "Profiling Info for Benchmark Initialization:"
_TITLE = re.compile(r"^=+ (.+?) =+$")
_SUBGRAPH = re.compile(
    r"^(?:Primary graph \(name: .*\)|Subgraph \(index: (\d+), name: .*\)) profile:$"
)
_NODE = re.compile(r"^\[(.*)\]:(\d+)$")
_DELEGATE_NODE = re.compile(r"^Delegate/(.+):(\d+)$")
_COLUMNS = {
    "[node type]": "node_type",
    "[first]": "first_ms",
    "[avg ms]": "avg_ms",
    "[%]": "percent",
    "[times called]": "times_called",
    "[name]": "name",
}


@dataclass(frozen=True)
class OpTime:
    """One row of the Run Order table: a node's time per regular run (ms)."""

    node_type: str
    avg_ms: float
    first_ms: float | None
    percent: float | None
    times_called: int
    name: str
    subgraph: int = 0
    node_index: int | None = None
    outputs: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "outputs": list(self.outputs)}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> OpTime:
        return cls(**{**values, "outputs": tuple(values.get("outputs") or ())})


@dataclass(frozen=True)
class OpProfile:
    """Every node's time in the regular runs, in run order, and what delegates ran inside."""

    ops: tuple[OpTime, ...]
    delegate_internal: tuple[OpTime, ...] = ()

    @property
    def total_ms(self) -> float:
        return sum(op.avg_ms * op.times_called for op in self.ops)


def parse_op_profile(text: str) -> OpProfile | None:
    """The regular runs' profile in `text`, or None when it holds no op-profiling table."""
    lines = [_PREFIX.sub("", raw).rstrip() for raw in text.splitlines()]
    start = next((i + 1 for i, line in enumerate(lines) if line.strip() == _REGULAR), None)
    if start is None:  # TF 2.0: the run tables alone; skip any initialization block
        init = next((i for i, line in enumerate(lines) if line.strip() == _INIT), None)
        start = 0 if init is None else len(lines)
    ops: list[OpTime] = []
    internal: list[OpTime] = []
    subgraph = 0
    in_delegate = False
    columns: list[str] | None = None
    for line in lines[start:]:
        stripped = line.strip()
        if stripped == _INIT:
            break
        if heading := _SUBGRAPH.match(stripped):
            subgraph = int(heading.group(1) or 0)
            continue
        if stripped.startswith("Delegate internal:"):
            in_delegate = True
            continue
        if title := _TITLE.match(stripped):
            columns = [] if title.group(1) == "Run Order" else None
            continue
        if columns is None:
            continue
        if not stripped:
            columns = None  # a table ends with an empty line
            continue
        cells = [cell.strip() for cell in line.split("\t")]
        if cells and cells[0] == "":
            cells = cells[1:]
        if not columns:
            columns = [_COLUMNS.get(cell.lower(), "") for cell in cells]
            continue
        op = _row(columns, cells, subgraph)
        if op is not None:
            (internal if in_delegate else ops).append(op)
    if not ops and not internal:
        return None
    return OpProfile(tuple(ops), tuple(internal))


def _row(columns: list[str], cells: list[str], subgraph: int) -> OpTime | None:
    if "name" not in columns or len(cells) < len(columns):
        return None
    name_at = columns.index("name")
    values = dict(zip(columns[:name_at], cells[:name_at], strict=True))
    name = "\t".join(cells[name_at:])  # the last column, whatever it holds
    try:
        avg_ms = float(values["avg_ms"])
        first = float(values["first_ms"]) if "first_ms" in values else None
        percent = float(values["percent"].rstrip("%")) if "percent" in values else None
        times_called = int(float(values.get("times_called", "1")))
    except (KeyError, ValueError):
        return None
    node_index: int | None = None
    outputs: tuple[str, ...] = ()
    if node := _NODE.match(name):
        node_index = int(node.group(2))
        outputs = tuple(part.strip() for part in node.group(1).split(", ") if part.strip())
    elif delegated := _DELEGATE_NODE.match(name):
        node_index = int(delegated.group(2))
    return OpTime(
        node_type=values.get("node_type", ""),
        avg_ms=avg_ms,
        first_ms=first,
        percent=percent,
        times_called=times_called,
        name=name,
        subgraph=subgraph,
        node_index=node_index,
        outputs=outputs,
    )
