"""Reading a Keras `CSVLogger` file: one row per epoch, as Keras wrote it.

Keras' CSVLogger (keras/src/callbacks/csv_logger.py, the same in Keras 2) writes a header
`epoch` then the logs' keys sorted, joined by its `separator` (a comma unless told), then one
row per epoch with Keras' 0-based epoch number. Values are Python's `str` of each number, so a
NaN loss is `nan` and an infinite one `inf`; a key missing from an epoch's logs is `NA`; a run
without validation gets empty `val_` columns of `NA`; an array-valued metric (F1Score without
averaging) is a quoted `"[0.1, 0.2]"`. With `append=True` a resumed run adds its rows under the
same header (no second one) and, started again from epoch 0, repeats epoch numbers: the last
row of each number is the one that stands. The file is read whole and checked before anything
is written; what does not fit that format is refused naming its line and column.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

from cnnlab.engine.kinds.fit.logged_run import LoggedRun, RawEpoch
from cnnlab.errors import CnnlabError

MAX_CSV_BYTES = 64 * 1024 * 1024  # 100,000 epochs of 50 metrics is ~60 MB
MISSING = ("", "NA")


def looks_like_csvlogger(head: bytes) -> bool:
    """Whether a file's first bytes are a CSVLogger header (`epoch` and a separator)."""
    text = head.lstrip(b"\xef\xbb\xbf")
    return text.startswith(b"epoch") and len(text) > 5 and not text[5:6].isalnum()


def read_csvlogger(path: Path) -> LoggedRun:
    """The epochs of a CSVLogger file; a sentence naming the problem if it is not one."""
    data = _read(path)
    text = _decode(data, path)
    lines = text.splitlines()
    header_line = lines[0] if lines else ""
    if not header_line.strip():
        raise CnnlabError(f"{path.name} starts with an empty line; it is not a CSVLogger file.")
    separator = _separator(header_line, path)
    rows = list(csv.reader(lines, delimiter=separator))
    header = [name.strip() for name in rows[0]]
    _check_header(header, path, separator)
    columns = header[1:]
    epochs: dict[int, RawEpoch] = {}
    repeated: list[int] = []
    arrays: set[str] = set()
    for line_number, row in enumerate(rows[1:], start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        if row[0].strip() == "epoch":  # a header again: logs joined by hand, or a new run
            header = [name.strip() for name in row]
            _check_header(header, path, separator)
            columns = header[1:]
            continue
        if len(row) != len(header):
            raise CnnlabError(
                f"{path.name}, line {line_number}: {len(row)} values under {len(header)} "
                "columns; the file was cut or edited (a CSVLogger row has one value per "
                "column of its header)."
            )
        number = _epoch_number(row[0], path, line_number)
        values: dict[str, float] = {}
        for column, cell in zip(columns, row[1:], strict=True):
            value = _value(cell, path, line_number, column)
            if value is None:
                continue
            if isinstance(value, str):
                arrays.add(column)
                continue
            values[column] = value
        if number in epochs and number not in repeated:
            repeated.append(number)
        epochs[number] = RawEpoch(values)  # the last row of an epoch number stands
    if not epochs:
        raise CnnlabError(
            f"{path.name} has a CSVLogger header but no epochs; it was written before the "
            "first epoch ended. Import it once the training has run an epoch."
        )
    if not any(epoch.values for epoch in epochs.values()):
        raise CnnlabError(
            f"{path.name} has {len(epochs)} epoch row(s) but no metric values in them (all "
            "empty or NA); nothing to import."
        )
    notes = []
    if arrays:
        notes.append(
            f"Left out array-valued column(s) {', '.join(sorted(arrays))} (one value per "
            "class; cnnlab charts one number per epoch)."
        )
    return LoggedRun(
        source="csvlogger",
        path=path,
        sha256=hashlib.sha256(data).hexdigest(),
        bytes=len(data),
        epochs=dict(sorted(epochs.items())),
        repeated=sorted(repeated),
        notes=notes,
        finished_at=path.stat().st_mtime,
    )


def _read(path: Path) -> bytes:
    size = path.stat().st_size
    if size > MAX_CSV_BYTES:
        raise CnnlabError(
            f"{path.name} is {size / 2**20:.0f} MiB, more than a training log "
            f"({MAX_CSV_BYTES // 2**20} MiB at most); check that it is the right file."
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CnnlabError(
            f"{path.name} cannot be read ({exc.strerror or exc}); fix its permissions and "
            "import it again."
        ) from None
    if not data.strip():
        raise CnnlabError(
            f"{path.name} is empty; a CSVLogger file has a header and one row per epoch "
            "(it is written as each epoch ends)."
        )
    return data


def _decode(data: bytes, path: Path) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CnnlabError(
            f"{path.name} is not text (byte {exc.start} is not UTF-8); it is not a CSVLogger file."
        ) from None


def _separator(header: str, path: Path) -> str:
    """The separator CSVLogger was given: the character after `epoch` in its header."""
    stripped = header.strip()
    if stripped == "epoch":
        _check_header([stripped], path, ",")
    if not stripped.startswith("epoch") or len(stripped) <= 5 or stripped[5].isalnum():
        first = stripped.split(",")[0][:40]
        raise CnnlabError(
            f"{path.name} is not a Keras CSVLogger file: its header starts with {first!r}, "
            "not 'epoch' and the metric names (CSVLogger writes 'epoch,accuracy,loss,...')."
        )
    return stripped[5]


def _check_header(header: list[str], path: Path, separator: str) -> None:
    if header[0] != "epoch" or len(header) < 2:
        raise CnnlabError(
            f"{path.name} is not a Keras CSVLogger file: its header "
            f"{separator.join(header)[:60]!r} names no metric after 'epoch'."
        )
    names = header[1:]
    doubled = sorted({n for n in names if names.count(n) > 1})
    if doubled or not all(names):
        what = f"names {', '.join(doubled)} twice" if doubled else "has an empty column name"
        raise CnnlabError(f"{path.name} is not a Keras CSVLogger file: its header {what}.")


def _epoch_number(cell: str, path: Path, line_number: int) -> int:
    text = cell.strip()
    if not text.isdigit():
        raise CnnlabError(
            f"{path.name}, line {line_number}: the epoch is {text[:30]!r}, not a whole number "
            "(CSVLogger writes Keras' epoch 0, 1, 2...)."
        )
    return int(text)


def _value(cell: str, path: Path, line_number: int, column: str) -> float | str | None:
    """A metric's value: a number (NaN and infinities as they are), None where missing, the
    text itself for an array-valued metric."""
    text = cell.strip()
    if text in MISSING:
        return None
    if text.startswith("[") and text.endswith("]"):
        return text
    try:
        value = float(text)
    except ValueError:
        raise CnnlabError(
            f"{path.name}, line {line_number}, column {column!r}: {text[:30]!r} is not a "
            "number; CSVLogger writes each metric as a number (nan, inf or NA where it had "
            "none). Fix or remove that value and import again."
        ) from None
    return value
