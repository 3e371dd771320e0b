"""The benchmark_model output parser, on every format the tool has printed across versions."""

from __future__ import annotations

import pytest

from cnnlab.devices import parse_benchmark_output
from cnnlab.devices.parse import parse_stat_line

RECENT = """\
INFO: STARTING!
INFO: Log parameter values verbosely: [0]
INFO: Num threads: [4]
INFO: Graph: [/data/local/tmp/mobilenet_v1.tflite]
INFO: Loaded model /data/local/tmp/mobilenet_v1.tflite
INFO: The input model file size (MB): 16.9008
INFO: Initialized session in 24.218ms.
INFO: Running benchmark for at least 1 iterations and at least 0.5 seconds but terminate if \
exceeding 150 seconds.
INFO: count=16 first=37713 curr=30522 min=30190 max=37713 avg=31437.2 std=1840

INFO: Running benchmark for at least 50 iterations and at least 1 seconds but terminate if \
exceeding 150 seconds.
INFO: count=50 first=30603 curr=30298 min=29954 max=33270 avg=30540.7 std=612 p5=30012 \
median=30421 p95=31877

INFO: Inference timings in us: Init: 24218, First inference: 37713, Warmup (avg): 31437.2, \
Inference (avg): 30540.7
INFO: Note: as the benchmark tool itself affects memory footprint, the following is only \
APPROXIMATE to the actual memory footprint of the model at runtime. Take the information at \
your discretion.
INFO: Memory footprint delta from the start of the tool (MB): init=23.6523 overall=30.3711
INFO: Overall peak memory footprint (MB) via periodic monitoring: 35.6172
"""

OLDER = """\
STARTING!
Num runs: [50]
Graph: [model.tflite]
Loaded model model.tflite
Initialized session in 3.49ms
Running benchmark for at least 1 iterations and at least 0.5 seconds
count=179 first=3087 curr=2584 min=2534 max=3087 avg=2609.42 std=60

Running benchmark for at least 50 iterations and at least 1 seconds
count=387 first=2606 curr=2593 min=2535 max=2775 avg=2588.46 std=29

Average inference timings in us: Warmup: 2609.42, Init: 3490, no stats: 2588.46
Peak memory footprint (MB): init=2.26953 overall=2.46094
"""


def test_recent_format_with_info_prefix_and_percentiles() -> None:
    out = parse_benchmark_output(RECENT)
    assert out.warmup is not None and out.warmup.count == 16
    assert out.warmup.avg_us == pytest.approx(31437.2)
    stats = out.inference
    assert stats is not None
    assert (stats.count, stats.first_us, stats.curr_us) == (50, 30603, 30298)
    assert (stats.min_us, stats.max_us, stats.avg_us, stats.std_us) == (29954, 33270, 30540.7, 612)
    assert (stats.p5_us, stats.median_us, stats.p95_us) == (30012, 30421, 31877)
    assert (out.init_us, out.first_us) == (24218, 37713)
    assert out.warmup_avg_us == pytest.approx(31437.2)
    assert out.inference_avg_us == pytest.approx(30540.7)
    assert out.init_memory_mb == pytest.approx(23.6523)
    assert out.overall_memory_mb == pytest.approx(30.3711)
    assert out.peak_memory_mb == pytest.approx(35.6172)
    assert out.run_us == pytest.approx(30540.7)
    assert out.errors == ()


def test_older_average_inference_timings_form() -> None:
    out = parse_benchmark_output(OLDER)
    assert out.inference is not None and out.inference.count == 387
    assert out.inference.p5_us is None and out.inference.median_us is None
    assert out.warmup is not None and out.warmup.count == 179
    assert out.init_us == 3490
    assert out.first_us == 3087  # no "First inference" then: the warm-up line's first run
    assert out.warmup_avg_us == pytest.approx(2609.42)
    assert out.inference_avg_us == pytest.approx(2588.46)
    # "Peak memory footprint (MB): init= overall=" (TF 2.3's label) is growth since the tool
    # started, the figures newer builds call "Memory footprint delta": not a peak.
    assert out.init_memory_mb == pytest.approx(2.26953)
    assert out.overall_memory_mb == pytest.approx(2.46094)
    assert out.peak_memory_mb is None


def test_older_form_with_an_inference_key() -> None:
    out = parse_benchmark_output(
        "Average inference timings in us: Warmup: 83235, Init: 43360, Inference: 79848.8"
    )
    assert (out.warmup_avg_us, out.init_us, out.inference_avg_us) == (83235, 43360, 79848.8)
    assert out.run_us == pytest.approx(79848.8)


@pytest.mark.parametrize(
    ("line", "count", "curr"),
    [
        ("count=1 curr=1234", 1, 1234),
        ("INFO: count=20 curr=512(all same)", 20, 512),
        ("count=3 curr=7.5(all same)", 3, 7.5),
    ],
)
def test_all_same_and_single_run_forms(line: str, count: int, curr: float) -> None:
    stats = parse_stat_line(line)
    assert stats is not None
    assert (stats.count, stats.curr_us, stats.mean_us) == (count, curr, curr)
    assert stats.avg_us is None and stats.first_us is None


def test_keys_in_any_order() -> None:
    stats = parse_stat_line(
        "INFO: median=30 std=2 avg=31.5 p95=35 max=36 first=40 min=29 curr=30 count=9 p5=29"
    )
    assert stats is not None
    assert (stats.count, stats.first_us, stats.median_us, stats.p95_us) == (9, 40, 30, 35)
    out = parse_benchmark_output(
        "Inference timings in us: Inference (avg): 10.5, Warmup (avg): 11, First inference: 20, "
        "Init: 300\nMemory footprint delta from the start of the tool (MB): overall=4 init=3"
    )
    assert (out.init_us, out.first_us, out.warmup_avg_us, out.inference_avg_us) == (
        300,
        20,
        11,
        10.5,
    )
    assert (out.init_memory_mb, out.overall_memory_mb) == (3, 4)


def test_single_run_invocation_as_used_for_samples() -> None:
    out = parse_benchmark_output(
        "INFO: count=10 first=900 curr=850 min=840 max=900 avg=860 std=18\n"
        "INFO: count=1 curr=845\n"
        "INFO: Inference timings in us: Init: 5000, First inference: 900, Warmup (avg): 860, "
        "Inference (avg): 845\n"
    )
    assert out.inference is not None and out.inference.count == 1
    assert out.run_us == 845


def test_nan_warmup_of_a_cold_run_is_none() -> None:
    out = parse_benchmark_output(
        "INFO: count=0\nINFO: count=1 curr=2100\n"
        "INFO: Inference timings in us: Init: 8123, First inference: 2100, Warmup (avg): -nan, "
        "Inference (avg): 2100"
    )
    assert out.warmup_avg_us is None
    assert (out.init_us, out.first_us) == (8123, 2100)
    assert out.warmup is not None and out.warmup.count == 0


def test_errors_are_collected_and_no_timings_is_detectable() -> None:
    out = parse_benchmark_output(
        "INFO: STARTING!\nERROR: The model is not a valid Flatbuffer buffer\n"
        "ERROR: Failed to load model: x.tflite\nERROR: Benchmarking failed.\n"
    )
    assert out.errors[0] == "The model is not a valid Flatbuffer buffer"
    assert len(out.errors) == 3
    assert not out.has_timings
    assert out.run_us is None
    assert not parse_benchmark_output("hello\nworld").has_timings


# The lines below are the tool's own, as its source writes them (google-ai-edge/LiteRT at
# f67457790: tflite/tools/logging.h, tflite/tools/benchmark/benchmark_model.cc and
# benchmark_tflite_model.cc, tflite/minimal_logging.cc, litert/tools/benchmark_litert_model.h;
# TF 2.0.0's tensorflow/lite/tools/benchmark/ for the unprefixed forms).


def test_warn_lines_are_not_failures_and_error_and_fatal_lines_are() -> None:
    out = parse_benchmark_output(
        "INFO: STARTING!\n"
        "WARN: Failed to get the input model file size.\n"  # fd: paths have no size
        "WARNING: Attempting to use a delegate that only supports static-sized tensors\n"
        "VERBOSE: Replacing 64 out of 64 node(s) with delegate (TfLiteXNNPackDelegate) node, "
        "yielding 1 partitions for the whole graph.\n"
        "INFO: count=1 curr=812 p5=812 median=812 p95=812\n"
    )
    assert out.errors == () and not out.fatal
    aborted = parse_benchmark_output("INFO: STARTING!\nFATAL: Failed to invoke!\n")
    assert aborted.fatal and aborted.errors == ("Failed to invoke!",)


def test_unprefixed_failures_of_tf_2_0() -> None:
    out = parse_benchmark_output("STARTING!\nGraph: [m.tflite]\nFailed to allocate tensors!\n")
    assert out.errors == ("Failed to allocate tensors!",)


@pytest.mark.parametrize(
    ("line", "count", "median"),
    [
        ("INFO: count=0 p5=0 median=0 p95=0", 0, 0),
        ("INFO: count=1 curr=2100 p5=2100 median=2100 p95=2100", 1, 2100),
        ("INFO: count=5 curr=900(all same) p5=900 median=900 p95=900", 5, 900),
        (
            "INFO: count=3 first=1234567 curr=1300000 min=1234567 max=1400000 "
            "avg=1.31152e+06 std=67891 p5=1234567 median=1300000 p95=1400000",
            3,
            1300000,
        ),
    ],
)
def test_percentiles_follow_every_form_of_the_count_line(
    line: str, count: int, median: float
) -> None:
    stats = parse_stat_line(line)
    assert stats is not None and (stats.count, stats.median_us) == (count, median)
    if count == 3:
        assert stats.avg_us == pytest.approx(1311520)


def test_a_cold_invocation_says_first_inference_0_and_its_run_is_the_count_line() -> None:
    out = parse_benchmark_output(
        "INFO: count=0 p5=0 median=0 p95=0\n\n"
        "INFO: count=1 curr=2100 p5=2100 median=2100 p95=2100\n\n"
        "INFO: Inference timings in us: Init: 8123, First inference: 0, Warmup (avg): 0, "
        "Inference (avg): 2100\n"
    )
    assert (out.init_us, out.first_us, out.run_us) == (8123, 0, 2100)


@pytest.mark.parametrize(
    ("line", "delegate", "extent", "kernels"),
    [
        (
            "INFO: Explicitly applied GPU delegate, and the model graph will be completely "
            "executed by the delegate.",
            "GPU",
            "full",
            None,
        ),
        (
            "INFO: Explicitly applied GPU delegate, and the model graph will be partially "
            "executed by the delegate w/ 3 delegate kernels.",
            "GPU",
            "partial",
            3,
        ),
        (
            "INFO: Though NNAPI delegate is explicitly applied, the model graph will not be "
            "executed by the delegate.",
            "NNAPI",
            "none",
            None,
        ),
        ("WARN: GPU acceleration is unsupported on this platform.", "GPU", "unsupported", None),
        ("Applied GPU delegate.", "GPU", "applied", None),  # TF 2.0
        ("ERROR: Failed to apply NNAPI delegate.", "NNAPI", "failed", None),
    ],
)
def test_what_ran_on_the_delegate_is_read_from_the_tools_words(
    line: str, delegate: str, extent: str, kernels: int | None
) -> None:
    said = parse_benchmark_output(line).delegation
    assert said is not None
    assert (said.delegate, said.extent, said.kernels) == (delegate, extent, kernels)
    assert said.ran_on_it == (extent in ("full", "partial", "applied"))


def test_flags_an_older_binary_ignored_are_kept() -> None:
    out = parse_benchmark_output(
        "INFO: STARTING!\nWARN: Unconsumed cmdline flags: --use_gpu=true --max_secs=86400\n"
    )
    assert out.unconsumed_flags == ("--use_gpu=true", "--max_secs=86400")
    assert out.errors == ()


LITERT_2 = """\
INFO: STARTING!
INFO: count=0 p5=0 median=0 p95=0

INFO: count=50 first=2210 curr=2087 min=2001 max=2456 avg=2104.3 std=61 p5=2010 median=2090 \
p95=2231

INFO: [benchmark_litert_model.h:89]
========== BENCHMARK RESULTS ==========
INFO: [benchmark_litert_model.h:94] Model initialization: 12.50 ms
INFO: [benchmark_litert_model.h:95] Warmup (first):       0.00 ms
INFO: [benchmark_litert_model.h:97] Warmup (avg):         0.00 ms (0 runs)
INFO: [benchmark_litert_model.h:99] Inference (avg):      2.10 ms (50 runs)
INFO: [benchmark_litert_model.h:103] Inference (min):      2.00 ms
INFO: [benchmark_litert_model.h:105] Inference (max):      2.46 ms
INFO: [benchmark_litert_model.h:107] Inference (std):      0.06
"""


def test_the_litert_2_results_block_in_milliseconds() -> None:
    out = parse_benchmark_output(LITERT_2)
    assert out.init_us == pytest.approx(12500)
    assert out.inference_avg_us == pytest.approx(2100)
    assert out.inference_runs == 50
    assert out.inference is not None and out.inference.median_us == 2090
    assert out.errors == ()


def test_tf_1_12s_one_run_warm_up_gives_the_first_inference() -> None:
    """The TI Processor SDK's TF 1.12 output (bench/README's sources, REPORT §7.1)."""
    out = parse_benchmark_output(
        "Initialized session in 4.452ms\nRunning benchmark for 1 iterations\n"
        "count=1 curr=146161\n\nRunning benchmark for 50 iterations\n"
        "count=50 first=137789 curr=137254 min=137079 max=143416 avg=137722 std=896\n\n"
        "Average inference timings in us: Warmup: 146161, Init: 4452, no stats: 137722\n"
    )
    assert (out.first_us, out.init_us, out.inference_avg_us) == (146161, 4452, 137722)
