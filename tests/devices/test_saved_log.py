"""What a saved benchmark_model log says it ran, in every era's printing (the fixtures follow
the tool's printing code; `TF112` and `CHROMEOS_SELECTED` are real outputs, verbatim)."""

from __future__ import annotations

import pytest
from support import saved_logs

from cnnlab.devices.saved_log import read_log
from cnnlab.devices.saved_text import SavedFileError


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


def test_a_real_tf_1_12_log_reads_its_one_thread_and_its_warm_up() -> None:
    run = read_log(saved_logs.TF112, "ti.log")
    assert run.tool == "benchmark_model" and run.form.startswith("TF 2.0 and older")
    assert run.threads == 1 and run.delegate == "cpu" and run.has_start
    assert run.graph == "mobilenet_v1_1.0_224_quant.tflite"
    assert run.settings["num_runs"] == "50" and run.settings["use_nnapi"] == "0"
    assert run.output.inference is not None and run.output.inference.count == 50
    assert run.output.inference_avg_us == 137722 and run.output.init_us == 4452


def test_windows_line_endings_read_as_the_same_log() -> None:
    from cnnlab.devices.saved_text import decode_text

    for text in (saved_logs.TF23, saved_logs.GPU_PARTIAL, saved_logs.LITERT):
        again = read_log(decode_text(saved_logs.crlf(text).encode(), "w.log"), "w.log")
        assert again == read_log(text, "w.log")


def test_the_model_size_the_tool_printed_is_kept() -> None:
    assert read_log(saved_logs.GPU_PARTIAL, "gpu.log").model_mb == pytest.approx(0.000953674)
    assert read_log(saved_logs.TF20, "tf20.log").model_mb is None  # TF 2.0 did not print it


def test_runs_of_two_delegates_pasted_together_are_refused() -> None:
    """The ChromeOS note holds an XNNPACK run's figures and a GPU run's delegate lines: taken
    as one log, the CPU's times would be stored as the GPU's."""
    with pytest.raises(SavedFileError, match="TfLiteXNNPackDelegate and TfLiteGpuDelegateV2"):
        read_log(saved_logs.CHROMEOS_SELECTED, "notes.txt")
    cpu_part = saved_logs.CHROMEOS_SELECTED[: saved_logs.CHROMEOS_SELECTED.index("-- gpu:")]
    run = read_log(cpu_part, "cpu.txt")
    assert run.delegate == "xnnpack" and run.output.inference.count == 1061  # type: ignore[union-attr]


def test_op_profiling_and_the_memory_monitor_are_said_to_have_run_during_timing() -> None:
    profiled = read_log(saved_logs.OP_PROFILED, "prof.log")
    assert profiled.timed_with == ("op profiling",)
    assert profiled.output.inference.count == 112  # type: ignore[union-attr]  # not the table's
    assert profiled.said()["timed_with"] == ["op profiling"]
    monitored = read_log(saved_logs.PEAK_MEMORY, "mem.log")
    assert monitored.timed_with == ("the peak memory monitor",)
    assert monitored.output.peak_memory_mb == pytest.approx(13.1797)
    assert read_log(saved_logs.TF20, "tf20.log").timed_with == ()
