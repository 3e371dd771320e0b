"""Saved `benchmark_model` logs as the real tool prints them, one per era, for the import tests.

Each text follows the tool's own printing code (google-ai-edge/LiteRT `tflite/tools/benchmark/`,
`tflite/tools/logging.h`, `tflite/tools/tool_params.h` `LOG_TOOL_PARAM`, `litert/tools/
benchmark_litert_model.h`; TF 2.0.0's `tensorflow/lite/tools/benchmark/`), as quoted with
citations in the issue-15 research notes: unprefixed lines before about TF 2.5, `INFO: ` and
`WARN: ` from the tool and `VERBOSE: ` from the runtime since, an empty line after each
`count=` line, percentiles on every `count=` line since about TF 2.18, LiteRT 2.x's block in ms
behind a `[file:line]` prefix. The figures are invented but consistent (each summary's mean is
its `count=` line's avg), and each model is `MODEL_BYTES` long ("The input model file size
(MB)" is that size over 2**20, to six significant digits). `TF112` and `CHROMEOS_SELECTED` are
real outputs people posted, copied verbatim (the research notes' section 7).
"""

from __future__ import annotations

MODEL_BYTES = 1000  # what each log's "The input model file size (MB): 0.000953674" says

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
The input model file size (MB): 0.000953674
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
INFO: The input model file size (MB): 0.000953674
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
INFO: The input model file size (MB): 0.000953674
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
INFO: The input model file size (MB): 0.000953674
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


def crlf(text: str) -> str:
    """`text` with Windows line endings, as Notepad or a PowerShell capture saves it."""
    return text.replace("\n", "\r\n")


# A real TF 1.12 output (TI Processor SDK Linux docs, run from
# /usr/share/tensorflow-lite-1.12/examples), verbatim: four-space indents, "Num runs", "Use nnapi
# : [0]", a warm-up line with `curr=` only, "Average inference timings in us".
TF112 = """\
    STARTING!
    Num runs: [50]
    Inter-run delay (seconds): [-1]
    Num threads: [1]
    Benchmark name: []
    Output prefix: []
    Warmup runs: [1]
    Graph: [mobilenet_v1_1.0_224_quant.tflite]
    Input layers: []
    Input shapes: []
    Use nnapi : [0]
    Loaded model mobilenet_v1_1.0_224_quant.tflite
    resolved reporter
    Initialized session in 4.452ms
    Running benchmark for 1 iterations
    count=1 curr=146161

    Running benchmark for 50 iterations
    count=50 first=137789 curr=137254 min=137079 max=143416 avg=137722 std=896

    Average inference timings in us: Warmup: 146161, Init: 4452, no stats: 137722
"""

# Real lines from ChromeOS tast notes (`benchmark_model --min_secs=60
# --report_peak_memory_footprint=true ...`), verbatim: an XNNPACK CPU run's summary, then
# "-- gpu:" and a GPU run's delegate lines, pasted into one note.
CHROMEOS_SELECTED = """\
INFO: Created TensorFlow Lite XNNPACK delegate for CPU.
VERBOSE: Replacing 58 out of 58 node(s) with delegate (TfLiteXNNPackDelegate) node, yielding 1 \
partitions for the whole graph.
INFO: Initialized session in 3.337ms.
INFO: count=9 first=81913 curr=55502 min=55502 max=81913 avg=58984.7 std=8115
INFO: count=1061 first=56576 curr=56299 min=54669 max=60236 avg=56265.8 std=982
INFO: Inference timings in us: Init: 3337, First inference: 81913, Warmup (avg): 58984.7, \
Inference (avg): 56265.8
INFO: Overall peak memory footprint (MB) via periodic monitoring: 93.2383
-- gpu:
INFO: Created TensorFlow Lite delegate for GPU.
VERBOSE: Replacing 58 out of 58 node(s) with delegate (TfLiteGpuDelegateV2) node, yielding 1 \
partitions for the whole graph.
INFO: Initialized OpenCL-based API.
INFO: Created 1 GPU delegate kernels.
INFO: Explicitly applied GPU delegate, and the model graph will be completely executed by the \
delegate.
"""

# The current tool's end block with --report_peak_memory_footprint=true (benchmark_model.cc
# `OnBenchmarkEnd`; "exeution" is the source's spelling), after the default-XNNPACK run.
PEAK_MEMORY = CPU_DEFAULT_XNNPACK.replace(
    "INFO: Graph:", "INFO: Report the peak memory footprint: [1]\nINFO: Graph:"
) + (
    "INFO: Note: as the benchmark tool itself affects memory footprint, the following is only "
    "APPROXIMATE to the actual memory footprint of the model at runtime. Take the information "
    "at your discretion.\n"
    "INFO: Memory footprint delta from the start of the tool (MB): init=2.43359 overall=8.67578\n"
    "INFO: Overall peak memory footprint (MB) via periodic monitoring: 13.1797\n"
    "INFO: Memory status at the end of exeution:\n"
    "INFO: - VmRSS              : 13 MB\n"
    "INFO: + RssAnnon           : 7 MB\n"
    "INFO: + RssFile + RssShmem : 6 MB\n"
)

# --enable_op_profiling=true: the tables ProfileSummaryDefaultFormatter::HandleOutput prints at
# the end, one INFO: message each (only their first line prefixed), with their own `count=`
# line ("Timings (microseconds): count=112 ...") that is not the benchmark's.
_OP_TABLE = (
    "============================== Run Order ==============================\n"
    "\t                             [node type]\t  [first]\t [avg ms]\t     [%]\t  [cdf%]"
    "\t  [mem KB]\t[times called]\t[Name]\n"
    "\t                     TfLiteGpuDelegateV2\t    8.100\t    8.000\t 90.000%\t 90.000%"
    "\t     0.000\t        1\t[m/dense/BiasAdd]:64\n"
    "\t                                 SOFTMAX\t    0.900\t    0.890\t 10.000%\t100.000%"
    "\t     0.000\t        1\t[Identity]:65\n\n"
)
OP_PROFILED = (
    GPU_PARTIAL.replace(
        "INFO: Use gpu: [1]\n", "INFO: Use gpu: [1]\nINFO: Enable op profiling: [1]\n"
    )
    + "INFO: Profiling Info for Benchmark Initialization:\n"
    + _OP_TABLE.replace("TfLiteGpuDelegateV2", "    AllocateTensors")
    + "Timings (microseconds): count=1 curr=250\nMemory (bytes): count=0\n1 nodes observed\n\n\n"
    + "INFO: Operator-wise Profiling Info for Regular Benchmark Runs:\n"
    + _OP_TABLE
    + "Number of nodes executed: 2\n"
    "Timings (microseconds): count=112 first=8951 curr=8830 min=8655 max=9902 avg=8911.27 std=201\n"
    "Memory (bytes): count=0\n2 nodes observed\n\n\n"
)
