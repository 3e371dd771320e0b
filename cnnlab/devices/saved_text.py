"""A file of latency measured elsewhere, before it is read: its text, and which kind it is.

`cnnlab latency import` takes a saved `benchmark_model` log or an app's CSV or JSON of per-run
times, as people save them: UTF-8 with or without a BOM, UTF-16 from PowerShell's `>`, Windows
line endings. What is not text (a `.tflite` model given by mistake, the tool's binary
`--result_file_path` proto, a Latin-1 export) is refused here with what to give instead, so the
readers (`saved_log`, `run_times_csv`, `run_times_json`) only ever see text with `\\n` lines.
"""

from __future__ import annotations

import codecs
import re
from typing import Literal

from cnnlab.errors import CnnlabError

FileFormat = Literal["log", "csv", "json"]
FORMATS: tuple[FileFormat, ...] = ("log", "csv", "json")
# A TFLite flatbuffer carries its file identifier at bytes 4..8 (schema.fbs `file_identifier`).
_TFLITE_IDENTIFIER = b"TFL3"
_MODEL_SUFFIXES = ("tflite", "lite", "keras", "h5", "pb")


class SavedFileError(CnnlabError):
    """A saved log or times file cnnlab cannot take as it is; the message says what to change."""


def decode_text(data: bytes, name: str) -> str:
    """The file's text with `\\n` lines: UTF-8 (a BOM dropped), or UTF-16 with its BOM, as
    PowerShell's `>` writes an `adb shell` capture on Windows."""
    if data[4:8] == _TFLITE_IDENTIFIER or _suffix(name) in _MODEL_SUFFIXES:
        raise SavedFileError(
            f"{name} is a model file, not a measurement; give the log benchmark_model printed "
            "when it ran the model (or the app's CSV or JSON of per-run times), and the model "
            "as TARGET."
        )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = "utf-8-sig"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise SavedFileError(
            f"{name} is not UTF-8 or UTF-16 text; save the benchmark_model log or the CSV or "
            "JSON of per-run times as UTF-8 and import that."
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
    suffix = _suffix(name)
    if suffix == "json":
        return "json"
    if suffix in ("csv", "tsv"):
        return "csv"
    if suffix in ("log", "txt") or looks_like_log(text):
        return "log"
    if text.lstrip().startswith(("[", "{")):
        return "json"
    return "csv"


def _suffix(name: str) -> str:
    return name.lower().rpartition(".")[2] if "." in name else ""
