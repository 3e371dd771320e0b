"""Saved `benchmark_model` logs as the real tool prints them, one per era, for the import tests.

Each text follows the tool's own printing code (google-ai-edge/LiteRT `tflite/tools/benchmark/`,
`tflite/tools/logging.h`, `tflite/tools/tool_params.h` `LOG_TOOL_PARAM`, `litert/tools/
benchmark_litert_model.h`; TF 2.0.0's `tensorflow/lite/tools/benchmark/`), as quoted with
citations in the issue-15 research notes: unprefixed lines before about TF 2.5, `INFO: ` and
`WARN: ` from the tool and `VERBOSE: ` from the runtime since, an empty line after each
`count=` line, percentiles on every `count=` line since about TF 2.18, LiteRT 2.x's block in ms
behind a `[file:line]` prefix. The figures are invented but consistent (each summary's mean is
its `count=` line's avg).
"""

from __future__ import annotations

# TF 2.0.0: no prefix, "Average inference timings in us: Warmup: .., Init: .., no stats: ..",
# the "Initialized session" line without its final period, "Use gpu : [0]" with a space.
TF20 = """\
STARTING!
Min num runs: [100]
Min runs duration (seconds): [1]
Max runs duration (seconds): [150]
Inter-run delay (seconds): [-1]
Num threads: [4]
Benchmark name: []
Output prefix: []
Min warmup runs: [1]
Min warmup runs duration (seconds): [0.5]
Graph: [/data/local/tmp/mobilenet.tflite]
Input layers: []
Input shapes: []
Use legacy nnapi : [0]
Use gpu : [0]
Allow fp16 : [0]
Loaded model /data/local/tmp/mobilenet.tflite
resolved reporter
Initialized session in 0.896ms
Running benchmark for at least 1 iterations and at least 0.5 seconds but terminate if exceeding \
150 seconds.
count=215 first=12231 curr=2106 min=2065 max=12231 avg=2331.42 std=746

Running benchmark for at least 100 iterations and at least 1 seconds but terminate if exceeding \
150 seconds.
count=459 first=2143 curr=2101 min=2056 max=2656 avg=2177.1 std=124

Average inference timings in us: Warmup: 2331.42, Init: 896, no stats: 2177.1
"""

# About TF 2.3 (tensorflow/tensorflow#42507): no prefix yet, the "Inference timings in us" form,
# and the init/overall memory pair still labelled "Peak memory footprint (MB)".
TF23 = """\
STARTING!
Log parameter values verbosely: [0]
Num threads: [4]
Graph: [/data/local/tmp/espcn.tflite]
#threads used for CPU inference: [4]
Loaded model /data/local/tmp/espcn.tflite
The input model file size (MB): 0.004448
Initialized session in 0.855ms.
Running benchmark for at least 1 iterations and at least 0.5 seconds but terminate if exceeding \
150 seconds.
count=15 first=49060 curr=33682 min=32825 max=49060 avg=34825.1 std=3930

Running benchmark for at least 50 iterations and at least 1 seconds but terminate if exceeding \
150 seconds.
count=50 first=32891 curr=33978 min=32641 max=34005 avg=33209.4 std=450

Inference timings in us: Init: 855, First inference: 49060, Warmup (avg): 34825.1, Inference \
(avg): 33209.4
Note: as the benchmark tool itself affects memory footprint, the following is only APPROXIMATE \
to the actual memory footprint of the model at runtime. Take the information at your discretion.
Peak memory footprint (MB): init=0 overall=12.8672
"""

# Current TFLite on a phone's GPU, partly delegated: the tool's INFO: lines (stdout) and the
# runtime's INFO:/VERBOSE: lines (stderr) merged by `adb shell ... 2>&1`.
GPU_PARTIAL = """\
INFO: STARTING!
INFO: Log parameter values verbosely: [0]
INFO: Min num runs: [50]
INFO: Num threads: [4]
INFO: Graph: [/data/local/tmp/alexnet_int8.tflite]
INFO: Signature to run: []
INFO: Use gpu: [1]
INFO: Loaded model /data/local/tmp/alexnet_int8.tflite
INFO: GPU delegate created.
INFO: Created TensorFlow Lite delegate for GPU.
INFO: Initialized OpenCL-based API.
VERBOSE: Replacing 60 out of 64 node(s) with delegate (TfLiteGpuDelegateV2) node, yielding 3 \
partitions for subgraph 0.
INFO: Created 3 GPU delegate kernels.
INFO: Explicitly applied GPU delegate, and the model graph will be partially executed by the \
delegate w/ 3 delegate kernels.
INFO: The input model file size (MB): 4.27
INFO: Initialized session in 412.5ms.
INFO: Running benchmark for at least 1 iterations and at least 0.5 seconds but terminate if \
exceeding 150 seconds.
INFO: count=52 first=25012 curr=8890 min=8702 max=25012 avg=9615.4 std=2263 p5=8723 median=9011 \
p95=10340

INFO: Running benchmark for at least 50 iterations and at least 1 seconds but terminate if \
exceeding 150 seconds.
INFO: count=112 first=8951 curr=8830 min=8655 max=9902 avg=8911.27 std=201 p5=8690 median=8874 \
p95=9310

INFO: Inference timings in us: Init: 412500, First inference: 25012, Warmup (avg): 9615.4, \
Inference (avg): 8911.27
INFO: Note: as the benchmark tool itself affects memory footprint, the following is only \
APPROXIMATE to the actual memory footprint of the model at runtime. Take the information at your \
discretion.
INFO: Memory footprint delta from the start of the tool (MB): init=61.25 overall=68.5
"""

# Current TFLite on the CPU with no delegate flag: the runtime applies XNNPACK by default
# and says so; the tool says nothing of it (it reports only delegates it was asked for).
CPU_DEFAULT_XNNPACK = """\
INFO: STARTING!
INFO: Log parameter values verbosely: [0]
INFO: Num threads: [2]
INFO: Graph: [/data/local/tmp/alexnet_int8.tflite]
INFO: Loaded model /data/local/tmp/alexnet_int8.tflite
INFO: Created TensorFlow Lite XNNPACK delegate for CPU.
VERBOSE: Replacing 64 out of 64 node(s) with delegate (TfLiteXNNPackDelegate) node, yielding 1 \
partitions for subgraph 0.
INFO: The input model file size (MB): 4.27
INFO: Initialized session in 38.1ms.
INFO: Running benchmark for at least 1 iterations and at least 0.5 seconds but terminate if \
exceeding 150 seconds.
INFO: count=30 first=21500 curr=17010 min=16800 max=21500 avg=17300.5 std=840 p5=16820 \
median=17100 p95=18900

INFO: Running benchmark for at least 50 iterations and at least 1 seconds but terminate if \
exceeding 150 seconds.
INFO: count=60 first=17050 curr=16990 min=16700 max=17800 avg=17020.4 std=190 p5=16740 \
median=16990 p95=17400

INFO: Inference timings in us: Init: 38100, First inference: 21500, Warmup (avg): 17300.5, \
Inference (avg): 17020.4
"""

# Asked for the GPU on a phone (or a build) without one: the tool warns and runs on the CPU.
GPU_UNSUPPORTED = """\
INFO: STARTING!
INFO: Log parameter values verbosely: [0]
INFO: Graph: [/data/local/tmp/alexnet_int8.tflite]
INFO: Use gpu: [1]
INFO: Loaded model /data/local/tmp/alexnet_int8.tflite
WARN: GPU acceleration is unsupported on this platform.
INFO: The input model file size (MB): 4.27
INFO: Initialized session in 30.2ms.
INFO: Running benchmark for at least 1 iterations and at least 0.5 seconds but terminate if \
exceeding 150 seconds.
INFO: count=25 first=24000 curr=20100 min=19900 max=24000 avg=20400.2 std=700 p5=19950 \
median=20200 p95=21900

INFO: Running benchmark for at least 50 iterations and at least 1 seconds but terminate if \
exceeding 150 seconds.
INFO: count=50 first=20150 curr=20080 min=19850 max=20900 avg=20110.6 std=180 p5=19880 \
median=20090 p95=20500

INFO: Inference timings in us: Init: 30200, First inference: 24000, Warmup (avg): 20400.2, \
Inference (avg): 20110.6
"""

# An older binary that does not know --use_gpu: it says so and runs on the CPU.
GPU_FLAG_UNKNOWN = """\
INFO: STARTING!
WARN: Unconsumed cmdline flags: --use_gpu=true
INFO: Log parameter values verbosely: [0]
INFO: Graph: [/data/local/tmp/alexnet_int8.tflite]
INFO: Loaded model /data/local/tmp/alexnet_int8.tflite
INFO: Initialized session in 30.2ms.
INFO: count=25 first=24000 curr=20100 min=19900 max=24000 avg=20400.2 std=700

INFO: count=50 first=20150 curr=20080 min=19850 max=20900 avg=20110.6 std=180

INFO: Inference timings in us: Init: 30200, First inference: 24000, Warmup (avg): 20400.2, \
Inference (avg): 20110.6
"""

# The LiteRT 2.x tool: the inherited count= lines (INFO:, stdout) and its own block (LITERT_LOG,
# stderr, in ms behind "[file:line] "; a leading "\\n" leaves the prefix alone on its line).
LITERT = """\
INFO: STARTING!
INFO: Log parameter values verbosely: [0]
INFO: Num threads: [4]
INFO: [benchmark_litert_model.cc:305] Loading model from: /data/local/tmp/alexnet_int8.tflite
INFO: Running benchmark for at least 1 iterations and at least 0.5 seconds but terminate if \
exceeding 150 seconds.
INFO: count=40 first=14020 curr=11900 min=11650 max=14020 avg=12083.5 std=390 p5=11680 \
median=11990 p95=12700

INFO: Running benchmark for at least 50 iterations and at least 1 seconds but terminate if \
exceeding 150 seconds.
INFO: count=85 first=11870 curr=11790 min=11602 max=12410 avg=11845.2 std=160 p5=11630 \
median=11810 p95=12150

INFO: [benchmark_litert_model.h:89] \n========== BENCHMARK RESULTS ==========
INFO: [benchmark_litert_model.h:94] Model initialization: 35.20 ms
INFO: [benchmark_litert_model.h:95] Warmup (first):       14.02 ms
INFO: [benchmark_litert_model.h:97] Warmup (avg):         12.08 ms (40 runs)
INFO: [benchmark_litert_model.h:99] Inference (avg):      11.85 ms (85 runs)
INFO: [benchmark_litert_model.h:103] Inference (min):      11.60 ms
INFO: [benchmark_litert_model.h:105] Inference (max):      12.41 ms
INFO: [benchmark_litert_model.h:107] Inference (std):      0.16
INFO: [benchmark_litert_model.h:115] Throughput:           1.23 MB/s
INFO: [benchmark_litert_model.h:124] \nMemory Usage:
INFO: [benchmark_litert_model.h:125] Init footprint:       20.50 MB
INFO: [benchmark_litert_model.h:127] Overall footprint:    24.75 MB
INFO: [benchmark_litert_model.h:134] Peak memory usage not available. (peak_mem_mb <= 0)
INFO: [benchmark_litert_model.h:138] ======================================

"""

# A missing model on a current build (mmap_allocation.cc, model_builder_base.h,
# benchmark_tflite_model.cc LoadModel, benchmark_main.cc), exit status 1.
FAILED = """\
INFO: STARTING!
INFO: Log parameter values verbosely: [0]
INFO: Graph: [/data/local/tmp/alexnet_int8.tflite]
ERROR: Could not open '/data/local/tmp/alexnet_int8.tflite'.
ERROR: The model allocation is null/empty
ERROR: Failed to load model /data/local/tmp/alexnet_int8.tflite
ERROR: Benchmarking failed.
"""

# A log cut after the warm-up (a full disk, a killed `adb`): no timed runs, no summary.
TRUNCATED = GPU_PARTIAL[: GPU_PARTIAL.index("INFO: Running benchmark for at least 50")]


def logcat(text: str) -> str:
    """`text` as `adb logcat -v threadtime` shows the tool's logcat copy (tag tflite, no
    prefix of its own: the level letter instead)."""
    lines = []
    for line in text.splitlines():
        level, _, body = line.partition(": ")
        letter = {"INFO": "I", "WARN": "W", "ERROR": "E", "VERBOSE": "V"}.get(level)
        if letter is None or not body:
            continue
        lines.append(f"06-12 10:00:00.123  4321  4321 {letter} tflite  : {body}")
    return "\n".join(lines) + "\n"
