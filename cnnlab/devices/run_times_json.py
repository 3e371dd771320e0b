"""Per-run times from a JSON file, in the three shapes apps write them.

A list of numbers (its unit then comes from `--unit`), an object holding a list of times and
its unit (`{"unit": "us", "samples": [...]}`, `{"times_ms": [...]}`), or a list of objects
with one time key each (`[{"run": 1, "latency_ms": 3.2}, ...]`). A key given twice is refused
(Python's reader would keep the last one silently), and so is nesting too deep to read.
"""

from __future__ import annotations

import json
import re
from typing import Any

from cnnlab.devices.run_times import (
    UNIT_HELP,
    UNIT_KEYS,
    Times,
    decide_unit,
    one_time,
    time_column,
    unit_named,
    unit_value,
)
from cnnlab.devices.saved_text import SavedFileError

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


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _DuplicateKey(key)
        seen[key] = value
    return seen


def _load(text: str, name: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_unique)
    except _DuplicateKey as exc:
        raise SavedFileError(
            f"{name} gives the key {exc.key!r} twice in one object; keep the one that is right."
        ) from None
    except json.JSONDecodeError as exc:
        raise SavedFileError(
            f"{name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            "give a list of per-run times or an object with one."
        ) from None
    except RecursionError:
        raise SavedFileError(
            f"{name} nests its JSON too deeply to read; give a list of per-run times or an "
            'object like {"unit": "ms", "samples": [...]}.'
        ) from None


def read_json_times(
    text: str, name: str, *, unit: str | None = None, column: str | None = None
) -> Times:
    """Per-run times from JSON: a list of numbers (then `unit` is needed), an object with a
    list of times and its unit, or a list of objects with one time key each."""
    data = _load(text, name)
    if isinstance(data, list) and data and isinstance(data[0], dict):
        return _records(data, name, unit, column)
    if isinstance(data, list):
        records = [i for i, item in enumerate(data, 1) if isinstance(item, dict)]
        if records:
            raise SavedFileError(
                f"Item {records[0]} of {name} is an object where item 1 is a number; give "
                "a list of numbers or a list of objects, not both."
            )
        values, key, found, source = data, None, None, "list"
    elif isinstance(data, dict):
        key = _list_key(data, name, column)
        values = data[key]
        from_key = unit_named(key)
        unit_keys = [k for k in UNIT_KEYS if k in data]
        from_field = unit_value(data[unit_keys[0]]) if unit_keys else None
        if unit_keys and from_field is None:
            raise SavedFileError(
                f"{name}'s {unit_keys[0]!r} is {json.dumps(data[unit_keys[0]])}, not a unit "
                f"cnnlab knows; write one of {UNIT_HELP}."
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
    decided = decide_unit(found, source, unit, name, "a bare list of numbers")
    if not values:
        raise SavedFileError(f"{name}'s list of times is empty; nothing to import.")
    label = f"{key!r} of {name}" if key else name
    samples = tuple(one_time(v, f"item {i} of {label}", decided) for i, v in enumerate(values, 1))
    return Times(samples, decided, source if found else "--unit", key)


def _list_key(data: dict[str, Any], name: str, column: str | None) -> str:
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


def _records(records: list[Any], name: str, unit: str | None, column: str | None) -> Times:
    header = list(records[0])
    index, found, source = time_column(header, name, column, width=len(header))
    key = header[index]
    decided = decide_unit(found, source, unit, name, f"key {key!r} names none")
    samples = []
    for number, record in enumerate(records, 1):
        if not isinstance(record, dict):
            raise SavedFileError(
                f"Item {number} of {name} is {json.dumps(record)[:40]}, not an object like "
                f"item 1; every run needs its {key!r}."
            )
        if key not in record:
            raise SavedFileError(f"Item {number} of {name} has no {key!r}; every run needs one.")
        samples.append(one_time(record[key], f"item {number} of {name}", decided))
    return Times(tuple(samples), decided, source if found else "--unit", key)
