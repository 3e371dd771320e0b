"""The unit of per-run times, read from names and never guessed, and the check of each time."""

from __future__ import annotations

import pytest

from cnnlab.devices.run_times import one_time, unit_named
from cnnlab.devices.saved_text import SavedFileError


@pytest.mark.parametrize(
    ("name", "unit"),
    [
        ("ms", "ms"),
        ("latency_ms", "ms"),
        ("time_us", "us"),
        ("Latency (ms)", "ms"),
        ("inferenceTimeUs", "us"),
        ("µs", "us"),
        ("duration_ns", "ns"),
        ("seconds", "s"),
        ("latency", None),
        ("runs", None),
        ("ms_or_us", None),
    ],
)
def test_units_are_read_from_names(name: str, unit: str | None) -> None:
    assert unit_named(name) == unit


@pytest.mark.parametrize(
    ("value", "unit", "message"),
    [
        ("1e308", "ms", "over a day"),  # 1e311 µs: infinite once stored as a 32-bit float
        ("1e300", "s", "over a day"),
        ("1e-300", "ms", "under a nanosecond"),  # zero once stored
        ("0.5", "ns", "under a nanosecond"),
        (True, "ms", "true is not a number"),  # quoted as JSON writes it
        (float("nan"), "ms", "NaN is not a finite time"),
        ("x" * 500, "ms", r"'xxxxx.*\.\.\.' is not a number"),  # a long cell, cut short
    ],
)
def test_implausible_times_are_refused(value: object, unit: str, message: str) -> None:
    with pytest.raises(SavedFileError, match=message):
        one_time(value, "line 2 of t.csv", unit)


def test_a_day_and_a_nanosecond_are_the_bounds() -> None:
    assert one_time("86400", "here", "s") == 86_400_000_000.0
    assert one_time("1", "here", "ns") == pytest.approx(0.001)
    assert one_time("3,5", "here", "ms", decimal_comma=True) == 3500.0
