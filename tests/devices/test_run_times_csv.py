"""Per-run times from a CSV: comma, semicolon (decimal commas) or tab, a header optional, and a
line with more cells than the first refused rather than read in part."""

from __future__ import annotations

import pytest

from cnnlab.devices.run_times_csv import read_csv_times
from cnnlab.devices.saved_text import SavedFileError


def test_csv_in_ms_with_an_index_column() -> None:
    times = read_csv_times("run,latency_ms\n1,3.5\n2,4.0\n3,3.25\n", "t.csv")
    assert times.samples_us == (3500.0, 4000.0, 3250.0)
    assert times.unit == "ms" and times.column == "latency_ms"


def test_csv_without_a_header_needs_a_unit() -> None:
    with pytest.raises(SavedFileError, match=r"does not say the unit.*--unit ms"):
        read_csv_times("3.5\n4.0\n", "t.csv")
    assert read_csv_times("3.5\n4.0\n", "t.csv", unit="ms").samples_us == (3500.0, 4000.0)


def test_semicolon_csv_with_decimal_commas() -> None:
    times = read_csv_times("run;time_ms\n1;3,5\n2;4,25\n", "t.csv")
    assert times.samples_us == (3500.0, 4250.0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ms\n3.5\nabc\n", "line 3 of t.csv, 'abc' is not a number"),
        ("ms\n3.5\n-1\n", "'-1' is not a positive time"),
        ("ms\n0\n", "'0' is not a positive time"),
        ("ms\ninf\n", "'inf' is not a finite time"),
        ("ms\n", "has a header but no times"),
        ("latency\n3.5\n", "its header 'latency' names none"),
        ("init_ms,inference_ms\n1,2\n", "several time columns"),
        ("a,b\n1,2\n", "no column that names a unit"),
    ],
)
def test_bad_csv_is_one_sentence(text: str, message: str) -> None:
    with pytest.raises(SavedFileError, match=message):
        read_csv_times(text, "t.csv")


def test_a_unit_given_against_the_header_is_refused() -> None:
    with pytest.raises(SavedFileError, match="says its times are in ms, but --unit says us"):
        read_csv_times("ms\n3\n", "t.csv", unit="us")


def test_a_bom_a_trailing_empty_line_comments_quotes_and_tabs() -> None:
    assert read_csv_times("# app v2\nrun,latency_ms\n1,12.5\n2,12.0\n\n", "t.csv").samples_us == (
        12500.0,
        12000.0,
    )
    quoted = read_csv_times('"run","Latency (ms)"\n"1","12.5"\n', "t.csv")
    assert quoted.samples_us == (12500.0,) and quoted.column == "Latency (ms)"
    assert read_csv_times("run\ttime_us\n1\t3.2\n", "t.tsv").samples_us == (3.2,)


def test_a_decimal_comma_in_a_comma_file_is_refused_not_cut() -> None:
    """`12,5` under a one-column header would otherwise be read as 12."""
    with pytest.raises(SavedFileError, match=r"Line 2 of t.csv has 2 cells where its first"):
        read_csv_times("latency_ms\n12,5\n12,0\n", "t.csv")
    with pytest.raises(SavedFileError, match=r"Line 2 of t.csv has 2 cells"):
        read_csv_times("12.5\n12,5\n", "t.csv", unit="ms")


def test_a_huge_csv_is_read() -> None:
    text = "run,latency_ms\n" + "".join(f"{i},{10 + i % 7}.25\n" for i in range(100_000))
    times = read_csv_times(text, "big.csv")
    assert len(times.samples_us) == 100_000 and times.samples_us[1] == 11250.0


def test_json_given_as_csv_says_so() -> None:
    with pytest.raises(SavedFileError, match="looks like JSON, not CSV; give --format json"):
        read_csv_times('{"unit": "ms", "samples": [1]}', "t.csv")


def test_a_long_header_is_quoted_short() -> None:
    with pytest.raises(SavedFileError) as refused:
        read_csv_times("TFL3" * 200 + "\n", "m.txt")
    assert len(str(refused.value)) < 300
