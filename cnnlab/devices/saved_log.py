"""What a saved `benchmark_model` log says it ran, beside the figures it printed.

A log is read with the phone bench's own parser (`cnnlab.devices.parse`) for its figures, and
here for what the log says was run: the flags the tool echoes at start (`Num threads: [4]`,
`Use gpu: [1]`, `Graph: [...]`), a command line pasted above the output (the LiteRT 2.x tool
echoes none of its accelerator flags), the XNNPACK delegate the runtime created by default, the
model's size, whether the op profiler or the memory monitor ran during the timed runs, and how
many invocations the file holds. A delegate is never guessed: when the log does not say which
one ran, the caller must be told (`LogRun.delegate` is None). Output pasted from several runs
into one file (two summaries, two delegates' "Replacing" lines) is refused, not averaged.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field, replace
from typing import Any

from cnnlab.delegates import DELEGATES
from cnnlab.devices.log_delegate import flag_bool, requested
from cnnlab.devices.parse import BenchmarkOutput, parse_benchmark_output
from cnnlab.devices.saved_text import SavedFileError

# `adb logcat` lines (threadtime and brief formats) of the tool's logcat copy (tag tflite),
# which carry no INFO:/ERROR: prefix of their own: the level letter gives it back.
_LOGCAT_THREADTIME = re.compile(
    r"^\d\d-\d\d\s+\d\d:\d\d:\d\d\.\d+\s+\d+\s+\d+\s+([VDIWEF])\s+[^:]*?\s*:\s?(.*)$"
)
_LOGCAT_BRIEF = re.compile(r"^([VDIWEF])/[^(:]+\(\s*\d+\)\s*:\s?(.*)$")
_LEVELS = {"V": "VERBOSE", "D": "DEBUG", "I": "INFO", "W": "WARN", "E": "ERROR", "F": "FATAL"}
_SEVERITY = re.compile(
    r"^\s*(?:(?:INFO|WARN|WARNING|VERBOSE|DEBUG|ERROR|FATAL)\s*:\s*)?(?:\[[\w./+-]+:\d+\]\s*)?"
)
# `LOG_TOOL_PARAM`/`LOG_BENCHMARK_PARAM` (tflite/tools/tool_params.h): "Num threads: [4]";
# TF 1.x wrote "Use nnapi : [0]".
_PARAM = re.compile(r"^([A-Za-z#][\w #()./-]*?)\s*:\s*\[(.*)\]\s*$")
_FLAG = re.compile(r"^--([A-Za-z][\w-]*)=(.*)$")
_REPLACED = re.compile(
    r"Replacing (\d+) out of (\d+) node\(s\) with delegate \((\w+)\) node, yielding (\d+) "
    r"partitions"
)
_XNNPACK_CREATED = "Created TensorFlow Lite XNNPACK delegate for CPU."
# "The input model file size (MB): 4.27" (benchmark_tflite_model.cc, `size / 1024 / 1024`
# written by a default ostream: six significant digits).
_MODEL_SIZE = re.compile(r"^The input model file size \(MB\):\s*([-+.\deE]+)\s*$")
# What ran beside the timed runs and slowed them: the op profiler (its tables, printed at the
# end) and the periodic memory monitor (its peak line, printed only when it ran).
_PROFILED = "Operator-wise Profiling Info for Regular Benchmark Runs"
_MONITORED = "Overall peak memory footprint (MB) via periodic monitoring"
_MULTIPLE = re.compile(r"Going to apply (\d+) delegates one after another")
_SUMMARY = re.compile(r"timings in us\s*:|^Inference \(avg\)\s*:", re.IGNORECASE)
_PARAM_NAMES = {
    "num threads": "num_threads",
    "#threads used for cpu inference": "num_threads",
    "graph": "graph",
    "use gpu": "use_gpu",
    "use nnapi": "use_nnapi",
    "use legacy nnapi": "use_nnapi",
    "use xnnpack": "use_xnnpack",
    "use hexagon": "use_hexagon",
    "use coreml": "use_coreml",
    "external delegate path": "external_delegate_path",
    "min num runs": "num_runs",
    "num runs": "num_runs",
    "min warmup runs": "warmup_runs",
    "warmup runs": "warmup_runs",
    "enable op profiling": "enable_op_profiling",
    "report the peak memory footprint": "report_peak_memory_footprint",
}


@dataclass(frozen=True)
class LogRun:
    """What a saved `benchmark_model` log says was run, beside the figures it printed."""

    output: BenchmarkOutput
    tool: str  # "benchmark_model" (TFLite, any version; its iOS app too) or "LiteRT 2.x"
    form: str  # which printing of the summary: see `_form`
    settings: dict[str, str] = field(default_factory=dict)  # echoed params and pasted flags
    delegate: str | None = None  # the delegate asked for; None when the log does not say
    delegate_source: str = ""  # how `delegate` was read, in words
    threads: int | None = None
    graph: str | None = None
    has_start: bool = False  # the tool's start (STARTING!, its echoed params) is in the file
    xnnpack_created: bool = False  # the runtime created XNNPACK (by default or when asked)
    replaced: dict[str, int | str] | None = None  # the runtime's "Replacing N out of M" line
    invocations: int = 1
    model_mb: float | None = None  # "The input model file size (MB)", as printed
    timed_with: tuple[str, ...] = ()  # what else ran during the timed runs, in words

    def said(self) -> dict[str, Any]:
        """What the log said, as the spec keeps it."""
        out = self.output
        return {
            "tool": self.tool,
            "form": self.form,
            "settings": self.settings,
            "delegate": self.delegate,
            "delegate_source": self.delegate_source,
            "threads": self.threads,
            "graph": self.graph,
            "xnnpack_created": self.xnnpack_created,
            "replaced": self.replaced,
            "model_mb": self.model_mb,
            "timed_with": list(self.timed_with),
            "delegation": out.delegation.describe() if out.delegation else None,
            "unconsumed_flags": list(out.unconsumed_flags),
            "warmup_runs": out.warmup.count if out.warmup else None,
            "inference_runs": out.inference.count if out.inference else out.inference_runs,
        }


def normalize_log(text: str) -> str:
    """The log with `adb logcat` framing turned back into the tool's own severity prefixes."""
    lines = []
    for raw in text.split("\n"):
        match = _LOGCAT_THREADTIME.match(raw) or _LOGCAT_BRIEF.match(raw)
        if match is None:
            lines.append(raw)
            continue
        body = match.group(2)
        if _prefix_length(body.lstrip()):
            lines.append(body)  # the runtime's lines keep their own prefix
        else:
            lines.append(f"{_LEVELS[match.group(1)]}: {body}")
    return "\n".join(lines)


def _prefix_length(line: str) -> int:
    match = _SEVERITY.match(line)
    return match.end() if match else 0


@dataclass
class _Lines:
    """What the log's lines say, gathered line by line (`read_log` then judges it whole)."""

    echoed: dict[str, str] = field(default_factory=dict)
    pasted: dict[str, str] = field(default_factory=dict)
    has_start: bool = False
    xnnpack_created: bool = False
    replaced: dict[str, int | str] | None = None
    kernels: list[str] = field(default_factory=list)  # each delegate that replaced nodes
    summaries: int = 0
    starts: int = 0
    several: int = 0
    litert: bool = False
    model_mb: float | None = None
    profiled: bool = False
    monitored: bool = False

    def read(self, line: str) -> None:
        if line.startswith("STARTING"):
            self.starts += 1
        self.summaries += bool(_SUMMARY.search(line))
        self.litert = self.litert or "BENCHMARK RESULTS" in line
        if line.startswith(("STARTING", "Log parameter values verbosely", "Loading model from:")):
            self.has_start = True
        if param := _PARAM.match(line):
            key = _PARAM_NAMES.get(param.group(1).strip().lower())
            if key is not None:
                self.echoed.setdefault(key, param.group(2).strip())
                self.has_start = True
        elif _is_command_line(line):
            self.pasted.update(_command_flags(line))
            self.has_start = True
        self.xnnpack_created = self.xnnpack_created or _XNNPACK_CREATED in line
        if match := _MODEL_SIZE.match(line):
            self.model_mb = _float(match.group(1))
        self.profiled = self.profiled or _PROFILED in line
        self.monitored = self.monitored or _MONITORED in line
        if match := _REPLACED.search(line):
            if match.group(3) not in self.kernels:
                self.kernels.append(match.group(3))
            self.replaced = {
                "nodes": int(match.group(1)),
                "of": int(match.group(2)),
                "kernel": match.group(3),
                "partitions": int(match.group(4)),
            }
        if match := _MULTIPLE.search(line):
            self.several = int(match.group(1))


def read_log(text: str, name: str) -> LogRun:
    """Parse a saved log and read what it says it ran; a file that is not one complete
    benchmark_model invocation raises `SavedFileError`."""
    text = normalize_log(text)
    output = parse_benchmark_output(text)
    lines = _Lines()
    for raw in text.split("\n"):
        if line := raw[_prefix_length(raw) :].strip():
            lines.read(line)
    # A flag this binary does not know is not echoed, but was asked for all the same.
    ignored = {
        match.group(1).replace("-", "_"): match.group(2)
        for flag in output.unconsumed_flags
        if (match := _FLAG.match(flag))
    }
    settings = {**lines.pasted, **ignored, **lines.echoed}  # what the tool echoes it parsed
    invocations = max(lines.summaries, lines.starts, 1)
    _one_run(lines, invocations, name)
    timed_with = tuple(
        what
        for what, ran, flag in (
            ("op profiling", lines.profiled, "enable_op_profiling"),
            ("the peak memory monitor", lines.monitored, "report_peak_memory_footprint"),
        )
        if ran or flag_bool(settings.get(flag))
    )
    run = LogRun(
        output=output,
        tool="LiteRT 2.x" if lines.litert else "benchmark_model",
        form=_form(text, lines.litert),
        settings=settings,
        graph=settings.get("graph"),
        threads=_threads(settings, name),
        has_start=lines.has_start,
        xnnpack_created=lines.xnnpack_created,
        replaced=lines.replaced,
        invocations=invocations,
        model_mb=lines.model_mb,
        timed_with=timed_with,
    )
    delegate, source = requested(run, name)
    return _with(run, delegate=delegate, delegate_source=source)


def _one_run(lines: _Lines, invocations: int, name: str) -> None:
    """Refuse a file holding more than one invocation, or one of several delegates."""
    if invocations > 1:
        raise SavedFileError(
            f"{name} holds {invocations} benchmark_model runs; save each run in a file of its "
            "own and import them one at a time."
        )
    if lines.several > 1:
        raise SavedFileError(
            f"{name} is a run of {lines.several} delegates one after another; cnnlab records "
            f"one delegate per bench ({', '.join(DELEGATES)}), so run the tool with one."
        )
    if len(lines.kernels) > 1:
        raise SavedFileError(
            f"{name} holds the output of runs with different delegates "
            f"({' and '.join(lines.kernels)} each replaced nodes), pasted together; save each "
            "run in a file of its own and import them one at a time."
        )


def _with(run: LogRun, **changes: Any) -> LogRun:
    return replace(run, **changes)


def _float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _is_command_line(line: str) -> bool:
    """A pasted command (`$ adb shell /data/local/tmp/benchmark_model --graph=m.tflite ...`)."""
    return bool(re.search(r"benchmark\w*(?:\s|$)", line)) and "--graph" in line


def _command_flags(line: str) -> dict[str, str]:
    try:
        words = shlex.split(line)
    except ValueError:
        words = line.split()
    flags = {}
    for word in words:
        if match := _FLAG.match(word):
            flags[match.group(1).replace("-", "_")] = match.group(2)
    return flags


def _form(text: str, litert: bool) -> str:
    """Which printing of the summary the log has (parse.py reads all of them)."""
    if litert:
        return "LiteRT 2.x BENCHMARK RESULTS block (ms)"
    if "Average inference timings in us" in text:
        return "TF 2.0 and older: 'Average inference timings in us'"
    if re.search(r"(?m)count=\d+.* median=", text):
        return "current: count= lines with p5/median/p95"
    return "TF 2.1+: 'Inference timings in us'"


def _threads(settings: dict[str, str], name: str) -> int | None:
    value = settings.get("num_threads")
    if value is None:
        return None
    try:
        threads = int(value)
    except ValueError:
        raise SavedFileError(
            f"{name} says it ran with {value!r} threads, which is not a number; fix the "
            "'Num threads' line or pass --threads."
        ) from None
    return threads if threads > 0 else None  # -1: the tool's default, not a thread count
