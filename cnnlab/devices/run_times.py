"""Per-run times from an app's file: their unit, which column holds them, and each time's check.

A CSV or JSON of per-run times carries its unit in a column name (`latency_ms`, `time_us`,
`Latency (ms)`) or a key (`"unit": "us"`, `samples_us`); a bare number has none, and cnnlab
refuses to guess between milliseconds and microseconds (a 1000x error would pass unnoticed).
Each time must be a positive finite number that is a plausible run (1 ns to a day): the store
keeps samples as 32-bit floats, so 1e300 would become infinity and 1e-300 zero. The two
readers (`run_times_csv`, `run_times_json`) share this; every refusal is one `SavedFileError`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cnnlab.devices.saved_text import SavedFileError

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
UNIT_KEYS = ("unit", "units", "time_unit", "unit_of_time")
# What one run may take, in µs: a nanosecond to a day.
MIN_TIME_US = 0.001
MAX_TIME_US = 86_400 * 1_000_000.0
_NUMBER = re.compile(r"^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$")
_SHOWN = 40  # characters of a cell or a header quoted in a message


@dataclass(frozen=True)
class Times:
    """Per-run times read from a CSV or JSON file, in µs, with where they came from."""

    samples_us: tuple[float, ...]
    unit: str
    unit_source: str  # "column 'latency_ms'", "key 'unit'", "--unit"
    column: str | None  # the column or key the times were read from


def shown(value: object) -> str:
    """A value as a message quotes it, cut short (a header may be a whole binary's line)."""
    text = repr(value)
    return text if len(text) <= _SHOWN else f"{text[: _SHOWN - 3]}...'"


def unit_named(text: str) -> str | None:
    """The unit a name gives (`ms`, `latency_ms`, `Latency (ms)`, `inferenceTimeUs`)."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    units = {_UNIT_NAMES[t] for t in re.findall(r"[a-zµμ]+", spaced.lower()) if t in _UNIT_NAMES}
    return units.pop() if len(units) == 1 else None


def unit_value(value: object) -> str | None:
    """The unit a `"unit": ...` value names, or None."""
    if not isinstance(value, str):
        return None
    return _UNIT_NAMES.get(value.strip().lower())


def decide_unit(found: str | None, source: str, given: str | None, name: str, what: str) -> str:
    """The file's unit, else `--unit`; both, disagreeing, or neither is refused."""
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


def column_label(header: Sequence[str], index: int) -> str:
    return f"column {shown(header[index])}" if header else f"column {index + 1}"


def time_column(
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
        return 0, None, f"column {shown(header[0])}"
    raise SavedFileError(
        f"{name} has no column that names a unit (its columns: {', '.join(header)}); pass "
        "--column NAME and --unit, or name the time column like latency_ms."
    )


def one_time(value: object, where: str, unit: str, *, decimal_comma: bool = False) -> float:
    """One time in µs; anything but a plausible positive number is refused, naming `where`.
    `value` is a cell's text or a JSON value (then quoted as JSON writes it)."""
    quoted = shown(value) if isinstance(value, str) else _json_text(value)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        ok, number = False, math.nan
    elif isinstance(value, int | float):
        ok, number = True, float(value)
    else:
        text = value.strip()
        if decimal_comma and re.fullmatch(r"[-+]?\d+,\d+", text):
            text = text.replace(",", ".")  # a decimal comma, in a ;- or tab-separated file
        ok = bool(_NUMBER.match(text)) or text.lower().lstrip("+-") in ("inf", "infinity", "nan")
        number = float(text) if ok else math.nan
    if not ok:
        raise SavedFileError(
            f"In {where}, {quoted} is not a number; every time must be a plain number in {unit}."
        )
    if not math.isfinite(number):
        raise SavedFileError(f"In {where}, {quoted} is not a finite time; remove that run.")
    if number <= 0:
        raise SavedFileError(
            f"In {where}, {quoted} is not a positive time; a run takes some time, so the "
            "file is not a list of per-run latencies (or that run must be removed)."
        )
    micros = number * UNITS[unit]
    if not MIN_TIME_US <= micros <= MAX_TIME_US:
        size = "under a nanosecond" if micros < MIN_TIME_US else "over a day"
        raise SavedFileError(
            f"In {where}, {quoted} {unit} is {size}, not the time of one run; check the "
            "file's unit (--unit) or remove that run."
        )
    return micros


def _json_text(value: object) -> str:
    import json

    try:
        return json.dumps(value)[: _SHOWN + 20]
    except (TypeError, ValueError):
        return shown(value)
