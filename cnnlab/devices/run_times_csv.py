"""Per-run times from a CSV, as apps and spreadsheets write one.

Comma-, semicolon- (European Excel, with decimal commas) or tab-separated, a header optional,
`#` comment lines and blank lines skipped. The separator is read from the first line, and a line
with more cells than that first line is refused rather than read in part: `12,5` under a
one-column header is a decimal comma, and taking its `12` would store a wrong time silently.
"""

from __future__ import annotations

import csv

from cnnlab.devices.run_times import (
    Times,
    column_label,
    decide_unit,
    one_time,
    shown,
    time_column,
)
from cnnlab.devices.saved_text import SavedFileError


def read_csv_times(
    text: str, name: str, *, unit: str | None = None, column: str | None = None
) -> Times:
    """Per-run times from a CSV: one time column, found by its unit-bearing name (or
    `column`), or the only column; header optional (then `unit` is needed)."""
    numbered = [
        (number, line)
        for number, line in enumerate(text.split("\n"), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not numbered:
        raise SavedFileError(f"{name} holds no times; give one per-run time per line.")
    first = numbered[0][1]
    if first.lstrip().startswith(("{", "[")):
        raise SavedFileError(
            f"{name} looks like JSON, not CSV; give --format json (or drop --format)."
        )
    delimiter = "\t" if "\t" in first else (";" if ";" in first and "," not in first else ",")
    rows = [
        (number, [cell.strip() for cell in next(csv.reader([line], delimiter=delimiter))])
        for number, line in numbered
    ]
    header_cells = rows[0][1]
    width = len(header_cells)
    has_header = not all(_looks_numeric(cell, delimiter) for cell in header_cells if cell)
    header, data = (header_cells, rows[1:]) if has_header else ([], rows)
    index, found, source = time_column(header, name, column, width=width)
    what = f"its header {shown(header[index])} names none" if header else "the file has no header"
    decided = decide_unit(found, source, unit, name, what)
    samples = []
    for number, cells in data:
        if len(cells) > width:
            raise SavedFileError(
                f"Line {number} of {name} has {len(cells)} cells where its first line has "
                f"{width}; if {delimiter!r} is a decimal comma there, separate the columns "
                "with ';' (as European Excel does) or write the times with a decimal point."
            )
        if index >= len(cells) or not cells[index]:
            raise SavedFileError(
                f"Line {number} of {name} has no {column_label(header, index)}; every line "
                "needs a time."
            )
        samples.append(
            one_time(
                cells[index], f"line {number} of {name}", decided, decimal_comma=delimiter != ","
            )
        )
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
