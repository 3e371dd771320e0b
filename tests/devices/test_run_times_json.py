"""Per-run times from JSON in its three shapes; a key given twice, a mixed list and nesting
too deep to read are refused in one sentence."""

from __future__ import annotations

import pytest

from cnnlab.devices.run_times_json import read_json_times
from cnnlab.devices.saved_text import SavedFileError


def test_json_in_microseconds() -> None:
    times = read_json_times('{"unit": "us", "samples": [3500, 4000.5]}', "t.json")
    assert times.samples_us == (3500.0, 4000.5) and times.unit_source == "key 'unit'"
    keyed = read_json_times('{"device": "x", "times_ms": [1.5, 2], "n": 2}', "t.json")
    assert keyed.samples_us == (1500.0, 2000.0) and keyed.column == "times_ms"
    records = read_json_times('[{"run": 1, "latency_us": 10}, {"run": 2, "latency_us": 12}]', "r")
    assert records.samples_us == (10.0, 12.0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1, 2, 3]", "does not say the unit.*a bare list"),
        ('{"unit": "furlongs", "samples": [1]}', "not a unit cnnlab knows"),
        ('{"unit": "ms", "samples_us": [1]}', "make them agree"),
        ('{"unit": "ms", "samples": [1, "x"]}', "item 2 of 'samples' of t.json, 'x' is not a"),
        ('{"unit": "ms", "samples": [1, -2]}', "not a positive time"),
        ('{"unit": "ms", "samples": [1, Infinity]}', "not a finite time"),
        ('{"unit": "ms", "samples": []}', "empty"),
        ('{"unit": "ms", "a": [1], "b": [2]}', "several lists"),
        ("{", "not valid JSON"),
        ("3", "single JSON int"),
        ('{"unit": "ms", "unit": "us", "samples": [1]}', "gives the key 'unit' twice"),
        ('[{"run": 1, "latency_ms": 3.2}, 5]', "Item 2 of t.json is 5, not an object"),
        ('[5, {"run": 1, "latency_ms": 3.2}]', "Item 2 of t.json is an object where item 1"),
        ('{"unit": "ms", "samples": [true]}', "true is not a number"),
        ('{"unit": "ms", "samples": [1, NaN]}', "NaN is not a finite time"),
        ("[" * 100_000 + "]" * 100_000, "nests its JSON too deeply"),
    ],
)
def test_bad_json_is_one_sentence(text: str, message: str) -> None:
    with pytest.raises(SavedFileError, match=message):
        read_json_times(text, "t.json")


def test_numbers_written_as_strings_are_read() -> None:
    assert read_json_times('{"unit": "ms", "samples": ["12.5", "13"]}', "t.json").samples_us == (
        12500.0,
        13000.0,
    )
