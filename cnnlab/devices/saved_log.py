"""Latency measured elsewhere: a saved `benchmark_model` log, or a file of per-run times.

A log is read with the phone bench's own parser (`cnnlab.devices.parse`) for its figures, and
here for what the log says was run: the flags the tool echoes at start (`Num threads: [4]`,
`Use gpu: [1]`, `Graph: [...]`), a command line pasted above the output (the LiteRT 2.x tool
echoes none of its accelerator flags), the XNNPACK delegate the runtime created by default, and
how many invocations the file holds. A delegate is never guessed: when the log does not say
which one ran, the caller must be told (`LogRun.delegate` is None).

A CSV or JSON of per-run times carries its unit in a column name (`latency_ms`, `time_us`,
`Latency (ms)`) or a key (`"unit": "us"`, `samples_us`); a bare number has none, and cnnlab
refuses to guess between milliseconds and microseconds (a 1000x error would pass unnoticed).
Everything here reads text and returns frozen values or raises `SavedFileError`, one sentence.
"""

from __future__ import annotations

import codecs
import json
import math
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from cnnlab.delegates import DELEGATES
from cnnlab.devices.parse import BenchmarkOutput, Delegation, parse_benchmark_output
from cnnlab.errors import CnnlabError

FileFormat = Literal["log", "csv", "json"]
FORMATS: tuple[FileFormat, ...] = ("log", "csv", "json")

# Each unit cnnlab accepts, by every name a header or a key may give it, as µs per unit.
UNITS = {"ms": 1000.0, "us": 1.0, "ns": 0.001, "s": 1_000_000.0}
_UNIT_NAMES = {
    **dict.fromkeys(("ms", "msec", "msecs", "millis", "millisecond", "milliseconds"), "ms"),
    **dict.fromkeys(
        ("us", "µs", "μs", "usec", "usecs", "micros", "microsecond", "microseconds"), "us"
    ),
    **dict.fromkeys(("ns", "nsec", "nsecs", "nanos", "nanosecond", "nanoseconds"), "ns"),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), "s"),
}
UNIT_HELP = "ms, us, ns or s"
# Keys a JSON object's list of times is commonly found under, when it holds several lists.
_SAMPLE_KEYS = (
    "samples",
    "times",
    "latencies",
    "latency",
    "durations",
    "inference_times",
    "runs",
    "values",
)
_NUMBER = re.compile(r"^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$")


class SavedFileError(CnnlabError):
    """A saved log or times file cnnlab cannot take as it is; the message says what to change."""


# --- text ------------------------------------------------------------------------------------


def decode_text(data: bytes, name: str) -> str:
    """The file's text: UTF-8 (a BOM dropped), or UTF-16 with its BOM, as PowerShell's `>`
    writes an `adb shell` capture on Windows."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise SavedFileError(
            f"{name} is not a text file (not UTF-8 or UTF-16); give the benchmark_model log "
            "as saved, or a CSV or JSON of per-run times."
        ) from None
    if "\0" in text:
        raise SavedFileError(
            f"{name} holds binary data; give the benchmark_model log as text (a "
            "--result_file_path proto is not read), or a CSV or JSON of per-run times."
        )
    return text.replace("\r\n", "\n").replace("\r", "\n")


_LOG_MARKERS = (
    "inference timings in us",
    "benchmark results",
    "running benchmark for",
    "starting!",
    "initialized session in",
)


def looks_like_log(text: str) -> bool:
    """Whether the text holds a line only benchmark_model prints."""
    lower = text.lower()
    return any(marker in lower for marker in _LOG_MARKERS) or bool(re.search(r"(?m)count=\d", text))


def detect_format(name: str, text: str) -> FileFormat:
    """log, csv or json: from the file name's extension, else from what the text looks like."""
    suffix = name.lower().rpartition(".")[2] if "." in name else ""
    if suffix == "json":
        return "json"
    if suffix in ("csv", "tsv"):
        return "csv"
    if suffix in ("log", "txt") or looks_like_log(text):
        return "log"
    if text.lstrip().startswith(("[", "{")):
        return "json"
    return "csv"


# --- logs ------------------------------------------------------------------------------------

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
_MULTIPLE = re.compile(r"Going to apply (\d+) delegates one after another")
_SUMMARY = re.compile(r"timings in us\s*:|^Inference \(avg\)\s*:", re.IGNORECASE)
# Delegates the tool can be asked for that cnnlab does not record (its benches are `DELEGATES`).
_OTHER_DELEGATES = {
    "use_hexagon": "Hexagon",
    "use_coreml": "Core ML",
    "use_npu": "NPU",
    "external_delegate_path": "external",
    "stable_delegate_settings_file": "stable",
}
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
}
_TRUE = ("1", "true", "yes")
_FALSE = ("0", "false", "no")


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


def read_log(text: str, name: str) -> LogRun:
    """Parse a saved log and read what it says it ran; a file that is not one complete
    benchmark_model invocation raises `SavedFileError`."""
    text = normalize_log(text)
    output = parse_benchmark_output(text)
    echoed: dict[str, str] = {}
    pasted: dict[str, str] = {}
    has_start = False
    xnnpack_created = False
    replaced: dict[str, int | str] | None = None
    summaries = starts = 0
    several = 0
    litert = False
    for raw in text.split("\n"):
        line = raw[_prefix_length(raw) :].strip()
        if not line:
            continue
        if line.startswith("STARTING"):
            starts += 1
            has_start = True
        if _SUMMARY.search(line):
            summaries += 1
        if "BENCHMARK RESULTS" in line:
            litert = True
        if line.startswith(("Log parameter values verbosely", "Loading model from:")):
            has_start = True
        if param := _PARAM.match(line):
            key = _PARAM_NAMES.get(param.group(1).strip().lower())
            if key is not None:
                echoed.setdefault(key, param.group(2).strip())
                has_start = True
        elif _is_command_line(line):
            pasted.update(_command_flags(line))
            has_start = True
        if _XNNPACK_CREATED in line:
            xnnpack_created = True
        if match := _REPLACED.search(line):
            replaced = {
                "nodes": int(match.group(1)),
                "of": int(match.group(2)),
                "kernel": match.group(3),
                "partitions": int(match.group(4)),
            }
        if match := _MULTIPLE.search(line):
            several = int(match.group(1))
    # A flag this binary does not know is not echoed, but was asked for all the same.
    ignored = {
        match.group(1).replace("-", "_"): match.group(2)
        for flag in output.unconsumed_flags
        if (match := _FLAG.match(flag))
    }
    settings = {**pasted, **ignored, **echoed}  # what the tool echoes is what it parsed
    invocations = max(summaries, starts, 1)
    if invocations > 1:
        raise SavedFileError(
            f"{name} holds {invocations} benchmark_model runs; save each run in a file of its "
            "own and import them one at a time."
        )
    if several > 1:
        raise SavedFileError(
            f"{name} is a run of {several} delegates one after another; cnnlab records one "
            f"delegate per bench ({', '.join(DELEGATES)}), so run the tool with one."
        )
    run = LogRun(
        output=output,
        tool="LiteRT 2.x" if litert else "benchmark_model",
        form=_form(text, litert),
        settings=settings,
        graph=settings.get("graph"),
        threads=_threads(settings, name),
        has_start=has_start,
        xnnpack_created=xnnpack_created,
        replaced=replaced,
        invocations=invocations,
    )
    delegate, source = _requested(run, name)
    return _with(run, delegate=delegate, delegate_source=source)


def _with(run: LogRun, **changes: Any) -> LogRun:
    from dataclasses import replace

    return replace(run, **changes)


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


def _flag_bool(value: str | None) -> bool | None:
    if value is None:
        return None
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    return None


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


def _requested(run: LogRun, name: str) -> tuple[str | None, str]:
    """The delegate the run was asked for, and how the log says so (None: it does not)."""
    settings = run.settings
    for key, label in _OTHER_DELEGATES.items():
        value = settings.get(key)
        if value and (_flag_bool(value) or key.endswith(("path", "file"))):
            raise SavedFileError(
                f"{name} is a run of the {label} delegate; cnnlab records the "
                f"{', '.join(DELEGATES)} delegates only."
            )
    asked = [d for d in ("gpu", "nnapi") if _flag_bool(settings.get(f"use_{d}"))]
    if len(asked) > 1:
        raise SavedFileError(
            f"{name} asks for the gpu and nnapi delegates together; cnnlab records one "
            "delegate per bench, so run the tool with one of them."
        )
    if asked:
        return asked[0], f"--use_{asked[0]} in the log"
    xnnpack = _flag_bool(settings.get("use_xnnpack"))
    if xnnpack:
        return "xnnpack", "--use_xnnpack in the log"
    said = run.output.delegation
    if said is not None and said.delegate.lower() in DELEGATES:
        return said.delegate.lower(), f"the log's line '{said.describe()}'"
    if run.xnnpack_created:
        return "xnnpack", "the runtime's 'Created TensorFlow Lite XNNPACK delegate' line"
    if xnnpack is False:
        return "cpu", "--use_xnnpack=false in the log"
    if run.has_start and run.tool == "benchmark_model":
        # The tool echoes every flag that was set: none of a delegate's means none was asked.
        return "cpu", "no delegate flag among the flags the log echoes"
    return None, ""


def default_delegation(run: LogRun) -> Delegation | None:
    """What ran on XNNPACK when the runtime applied it by default (the tool then says nothing
    of it: it prints 'Explicitly applied' only for delegates it was asked for)."""
    if run.output.delegation is not None or not run.xnnpack_created:
        return run.output.delegation
    replaced = run.replaced
    if replaced is None or "xnnpack" not in str(replaced["kernel"]).lower():
        return Delegation("XNNPACK", "applied")
    if replaced["nodes"] == replaced["of"] and replaced["partitions"] == 1:
        return Delegation("XNNPACK", "full")
    return Delegation("XNNPACK", "partial", int(replaced["partitions"]))


# --- per-run times -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Times:
    """Per-run times read from a CSV or JSON file, in µs, with where they came from."""

    samples_us: tuple[float, ...]
    unit: str
    unit_source: str  # "column 'latency_ms'", "key 'unit'", "--unit"
    column: str | None  # the column or key the times were read from


def unit_named(text: str) -> str | None:
    """The unit a name gives (`ms`, `latency_ms`, `Latency (ms)`, `inferenceTimeUs`)."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    units = {_UNIT_NAMES[t] for t in re.findall(r"[a-zµμ]+", spaced.lower()) if t in _UNIT_NAMES}
    return units.pop() if len(units) == 1 else None


def _unit_value(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    return _UNIT_NAMES.get(value.strip().lower())


def _decide_unit(found: str | None, source: str, given: str | None, name: str, what: str) -> str:
    if given is not None and found is not None and given != found:
        raise SavedFileError(
            f"{name}'s {source} says its times are in {found}, but --unit says {given}; drop "
            "--unit or fix the file."
        )
    unit = found or given
    if unit is None:
        raise SavedFileError(
            f"{name} does not say the unit of its times ({what}); name the column or key with "
            f"it (latency_ms, time_us) or pass --unit {'|'.join(UNITS)}."
        )
    return unit


def read_csv_times(
    text: str, name: str, *, unit: str | None = None, column: str | None = None
) -> Times:
    """Per-run times from a CSV: one time column, found by its unit-bearing name (or
    `column`), or the only column; header optional (then `unit` is needed)."""
    import csv

    numbered = [
        (number, line)
        for number, line in enumerate(text.split("\n"), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not numbered:
        raise SavedFileError(f"{name} holds no times; give one per-run time per line.")
    first = numbered[0][1]
    delimiter = "\t" if "\t" in first else (";" if ";" in first and "," not in first else ",")
    rows = [
        (number, [cell.strip() for cell in next(csv.reader([line], delimiter=delimiter))])
        for number, line in numbered
    ]
    header_cells = rows[0][1]
    has_header = not all(_looks_numeric(cell, delimiter) for cell in header_cells if cell)
    if has_header:
        header, data = header_cells, rows[1:]
    else:
        header, data = [], rows
    index, found, source = _time_column(header, name, column, width=len(rows[0][1]))
    what = f"its header {header[index]!r} names none" if header else "the file has no header"
    decided = _decide_unit(found, source, unit, name, what)
    samples = []
    for number, cells in data:
        if index >= len(cells):
            raise SavedFileError(
                f"Line {number} of {name} has no {_column_label(header, index)}; every line "
                "needs a time."
            )
        samples.append(_time(cells[index], f"line {number} of {name}", decided, delimiter))
    if not samples:
        raise SavedFileError(f"{name} has a header but no times under it.")
    return Times(
        tuple(samples),
        decided,
        source if found else "--unit",
        header[index] if header else None,
    )


def _looks_numeric(cell: str, delimiter: str) -> bool:
    text = cell.replace(",", ".") if delimiter != "," else cell
    try:
        float(text)
    except ValueError:
        return False
    return True


def _column_label(header: Sequence[str], index: int) -> str:
    return f"column {header[index]!r}" if header else f"column {index + 1}"


def _time_column(
    header: Sequence[str], name: str, column: str | None, *, width: int
) -> tuple[int, str | None, str]:
    """(index, unit the header gives or None, where the unit was read)."""
    if column is not None:
        lowered = [h.lower() for h in header]
        if column.lower() not in lowered:
            raise SavedFileError(
                f"{name} has no column {column!r}; its columns are "
                f"{', '.join(header) or '(no header)'}."
            )
        index = lowered.index(column.lower())
        return index, unit_named(header[index]), f"column {header[index]!r}"
    if not header:
        if width != 1:
            raise SavedFileError(
                f"{name} has {width} columns and no header; add a header naming the time "
                "column with its unit (latency_ms) or give the times alone, one per line."
            )
        return 0, None, "column"
    with_unit = [i for i, h in enumerate(header) if unit_named(h)]
    if len(with_unit) == 1:
        index = with_unit[0]
        return index, unit_named(header[index]), f"column {header[index]!r}"
    if len(with_unit) > 1:
        raise SavedFileError(
            f"{name} has several time columns ({', '.join(header[i] for i in with_unit)}); "
            "pass --column NAME to say which holds the per-run inference times."
        )
    if len(header) == 1:
        return 0, None, f"column {header[0]!r}"
    raise SavedFileError(
        f"{name} has no column that names a unit (its columns: {', '.join(header)}); pass "
        "--column NAME and --unit, or name the time column like latency_ms."
    )


def _time(value: object, where: str, unit: str, delimiter: str = ",") -> float:
    """One time in µs; anything but a positive finite number is refused, naming `where`."""
    if isinstance(value, bool) or value is None:
        number = math.nan
        ok = False
    elif isinstance(value, int | float):
        number, ok = float(value), True
    else:
        text = str(value).strip()
        if delimiter != "," and re.fullmatch(r"[-+]?\d+,\d+", text):
            text = text.replace(",", ".")  # a decimal comma, in a ;- or tab-separated file
        ok = bool(_NUMBER.match(text)) or text.lower().lstrip("+-") in ("inf", "infinity", "nan")
        number = float(text) if ok else math.nan
    if not ok:
        raise SavedFileError(
            f"In {where}, {value!r} is not a number; every time must be a plain number in {unit}."
        )
    if not math.isfinite(number):
        raise SavedFileError(f"In {where}, {value!r} is not a finite time; remove that run.")
    if number <= 0:
        raise SavedFileError(
            f"In {where}, {value!r} is not a positive time; a run takes some time, so the "
            "file is not a list of per-run latencies (or that run must be removed)."
        )
    return number * UNITS[unit]


def read_json_times(
    text: str, name: str, *, unit: str | None = None, column: str | None = None
) -> Times:
    """Per-run times from JSON: a list of numbers (then `unit` is needed), an object with a
    list of times and its unit (`{"unit": "us", "samples": [...]}`, `{"times_ms": [...]}`), or
    a list of objects with one time key each (`[{"run": 1, "latency_ms": 3.2}, ...]`)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SavedFileError(
            f"{name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            "give a list of per-run times or an object with one."
        ) from None
    if isinstance(data, list) and data and all(isinstance(item, dict) for item in data):
        return _json_records(data, name, unit, column)
    if isinstance(data, list):
        values, key, found, source = data, None, None, "list"
    elif isinstance(data, dict):
        key = _json_list_key(data, name, column)
        values = data[key]
        from_key = unit_named(key)
        from_field = next(
            (
                _unit_value(data[k])
                for k in ("unit", "units", "time_unit", "unit_of_time")
                if k in data
            ),
            None,
        )
        unit_keys = [k for k in ("unit", "units", "time_unit", "unit_of_time") if k in data]
        if unit_keys and from_field is None:
            raise SavedFileError(
                f"{name}'s {unit_keys[0]!r} is {data[unit_keys[0]]!r}, not a unit cnnlab knows; "
                f"write one of {UNIT_HELP}."
            )
        if from_key and from_field and from_key != from_field:
            raise SavedFileError(
                f"{name}'s key {key!r} says {from_key} but its {unit_keys[0]!r} says "
                f"{from_field}; make them agree."
            )
        found = from_key or from_field
        source = f"key {key!r}" if from_key else f"key {unit_keys[0]!r}" if from_field else ""
    else:
        raise SavedFileError(
            f"{name} holds a single JSON {type(data).__name__}; give a list of per-run times "
            'or an object like {"unit": "ms", "samples": [...]}.'
        )
    decided = _decide_unit(found, source, unit, name, "a bare list of numbers")
    if not values:
        raise SavedFileError(f"{name}'s list of times is empty; nothing to import.")
    label = f"{key!r} of {name}" if key else name
    samples = tuple(_time(v, f"item {i} of {label}", decided) for i, v in enumerate(values, 1))
    return Times(samples, decided, source if found else "--unit", key)


def _json_list_key(data: dict[str, Any], name: str, column: str | None) -> str:
    if column is not None:
        if not isinstance(data.get(column), list):
            raise SavedFileError(
                f"{name} has no list under {column!r}; its keys are {', '.join(data) or 'none'}."
            )
        return column
    lists = [k for k, v in data.items() if isinstance(v, list)]
    if len(lists) == 1:
        return lists[0]
    if not lists:
        raise SavedFileError(
            f"{name} holds no list of times (its keys: {', '.join(data) or 'none'}); give "
            'an object like {"unit": "ms", "samples": [...]}.'
        )
    preferred = [
        k for k in lists if re.sub(r"[_\W]*(ms|us|µs|μs|ns|s)$", "", k.lower()) in _SAMPLE_KEYS
    ]
    if len(preferred) == 1:
        return preferred[0]
    raise SavedFileError(
        f"{name} holds several lists ({', '.join(lists)}); pass --column KEY to say which "
        "holds the per-run inference times."
    )


def _json_records(
    records: list[dict[str, Any]], name: str, unit: str | None, column: str | None
) -> Times:
    header = list(records[0])
    index, found, source = _time_column(header, name, column, width=len(header))
    key = header[index]
    decided = _decide_unit(found, source, unit, name, f"key {key!r} names none")
    samples = []
    for number, record in enumerate(records, 1):
        if key not in record:
            raise SavedFileError(f"Item {number} of {name} has no {key!r}; every run needs one.")
        samples.append(_time(record[key], f"item {number} of {name}", decided))
    return Times(tuple(samples), decided, source if found else "--unit", key)
