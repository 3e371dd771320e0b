"""A saved file's text and kind: UTF-8 or PowerShell's UTF-16, Windows line endings, and what
is not text at all (a model given by mistake, a binary proto, a Latin-1 export) refused."""

from __future__ import annotations

import codecs
import struct

import pytest
from support import saved_logs

from cnnlab.devices.saved_text import SavedFileError, decode_text, detect_format


def test_formats_come_from_the_extension_then_the_content() -> None:
    assert detect_format("run.json", "[1]") == "json"
    assert detect_format("times.csv", "count=3") == "csv"
    assert detect_format("output", saved_logs.TF20) == "log"
    assert detect_format("output", '{"unit": "ms"}') == "json"
    assert detect_format("output", "ms\n3.1\n") == "csv"
    assert detect_format("notes.txt", "hello") == "log"


def test_utf16_from_powershell_is_read() -> None:
    data = codecs.BOM_UTF16_LE + saved_logs.TF20.replace("\n", "\r\n").encode("utf-16-le")
    assert decode_text(data, "ps.log") == saved_logs.TF20
    with pytest.raises(SavedFileError, match=r"not UTF-8 or UTF-16 text; save .* as UTF-8"):
        decode_text("run,latence_µs\n1,12500\n".encode("latin-1"), "x.csv")


def test_a_bom_and_windows_line_endings_are_dropped() -> None:
    data = codecs.BOM_UTF8 + b"run,latency_ms\r\n1,12.5\r\n"
    assert decode_text(data, "t.csv") == "run,latency_ms\n1,12.5\n"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("m.tflite", b"TFL3" * 10),  # any bytes, by the name
        ("saved.log", struct.pack("<I", 28) + b"TFL3" + bytes(range(256))),  # by the identifier
    ],
)
def test_a_model_given_as_the_file_is_named_as_one(name: str, data: bytes) -> None:
    with pytest.raises(SavedFileError, match=f"{name} is a model file, not a measurement"):
        decode_text(data, name)


def test_binary_data_is_refused() -> None:
    with pytest.raises(SavedFileError, match="holds binary data"):
        decode_text(b"\x0a\x05hello\x00\x00", "result.pb.log")
