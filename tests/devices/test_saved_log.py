"""What a saved benchmark_model log says it ran, in every era's printing, and per-run times
files whose unit is read from their header or key, never guessed."""

from __future__ import annotations

import codecs

import pytest
from support import saved_logs

from cnnlab.devices.saved_log import (
    SavedFileError,
    decode_text,
    default_delegation,
    detect_format,
    read_csv_times,
    read_json_times,
    read_log,
    unit_named,
)


def test_tf20_log_reads_its_threads_graph_and_no_delegate() -> None:
    run = read_log(saved_logs.TF20, "tf20.log")
    assert run.tool == "benchmark_model" and run.form.startswith("TF 2.0")
    assert run.threads == 4 and run.graph == "/data/local/tmp/mobilenet.tflite"
    assert run.delegate == "cpu" and run.has_start
    assert run.output.inference is not None and run.output.inference.count == 459
    assert run.output.inference_avg_us == 2177.1 and run.output.init_us == 896


def test_tf23_log_reads_threads_from_both_echoes() -> None:
    run = read_log(saved_logs.TF23, "tf23.log")
    assert run.threads == 4 and run.delegate == "cpu"
    assert run.output.first_us == 49060 and run.output.inference.count == 50  # type: ignore[union-attr]
    # "Peak memory footprint (MB): init=0 overall=12.8672" is growth since start, not a peak.
    assert run.output.peak_memory_mb is None


def test_current_gpu_log_says_the_gpu_ran_partly() -> None:
    run = read_log(saved_logs.GPU_PARTIAL, "gpu.log")
    assert run.delegate == "gpu" and run.delegate_source == "--use_gpu in the log"
    assert run.form.startswith("current") and run.threads == 4
    said = run.output.delegation
    assert said is not None and said.extent == "partial" and said.kernels == 3
    assert run.output.inference.median_us == 8874  # type: ignore[union-attr]


def test_default_xnnpack_is_named_with_its_extent() -> None:
    run = read_log(saved_logs.CPU_DEFAULT_XNNPACK, "cpu.log")
    assert run.delegate == "xnnpack" and run.xnnpack_created
    said = default_delegation(run)
    assert said is not None and said.describe() == "XNNPACK full"


def test_litert_log_does_not_say_its_accelerator() -> None:
    run = read_log(saved_logs.LITERT, "litert.log")
    assert run.tool == "LiteRT 2.x" and run.delegate is None and run.threads == 4
    assert run.output.init_us == pytest.approx(35200)
    assert run.output.inference_runs == 85 and run.output.inference.count == 85  # type: ignore[union-attr]


def test_a_pasted_command_line_says_what_litert_was_asked() -> None:
    command = "$ adb shell /data/local/tmp/benchmark_litert_model --graph=m.tflite --use_gpu=true\n"
    run = read_log(command + saved_logs.LITERT, "litert.log")
    assert run.delegate == "gpu" and run.settings["graph"] == "m.tflite"


def test_an_unknown_flag_is_still_the_delegate_asked_for() -> None:
    run = read_log(saved_logs.GPU_FLAG_UNKNOWN, "old.log")
    assert run.delegate == "gpu" and run.output.unconsumed_flags == ("--use_gpu=true",)


def test_logcat_framing_gives_back_the_tool_prefixes() -> None:
    run = read_log(saved_logs.logcat(saved_logs.GPU_PARTIAL), "logcat.txt")
    assert run.delegate == "gpu" and run.output.inference.count == 112  # type: ignore[union-attr]
    failed = read_log(saved_logs.logcat(saved_logs.FAILED), "logcat.txt")
    assert "Benchmarking failed." in failed.output.errors


def test_two_runs_in_one_file_are_refused() -> None:
    with pytest.raises(SavedFileError, match="holds 2 benchmark_model runs"):
        read_log(saved_logs.TF23 + saved_logs.TF23, "both.log")


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
    with pytest.raises(SavedFileError, match="not a text file"):
        decode_text(b"\x80\x81\xfe\xfd", "x.bin")


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
    ],
)
def test_bad_json_is_one_sentence(text: str, message: str) -> None:
    with pytest.raises(SavedFileError, match=message):
        read_json_times(text, "t.json")
