"""The op-profiling tables, as the tool's source prints them, read per node and per layer.

The fixtures follow the printing code: ProfileSummaryDefaultFormatter::HandleOutput and
GenerateReport (tflite/profiling/profile_summary_formatter.cc), StatsCalculator's HeaderString,
ColumnString and GetShortSummary (tsl/util/stats_calculator.cc: tab-separated, right-aligned
fields, three decimals), node names from ProfileSummarizer::ProcessProfiles
(tflite/profiling/profile_summarizer.cc: `[outputs]:node_index`, `Delegate/<op>:<index>`).
"""

from __future__ import annotations

from cnnlab.devices.op_layers import GraphNode, delegate_of, layer_times, layers_of_outputs
from cnnlab.devices.op_profile import parse_op_profile

HEADER = (
    "\t                             [node type]\t  [first]\t [avg ms]\t     [%]\t  [cdf%]"
    "\t  [mem KB]\t[times called]\t[Name]"
)


def row(node_type: str, first: float, avg: float, pct: float, cdf: float, name: str) -> str:
    return (
        f"\t{node_type:>40}\t{first:9.3f}\t{avg:9.3f}\t{pct:7.3f}%\t{cdf:7.3f}%\t"
        f"{0.0:10.3f}\t{1:>9}\t{name}"
    )


def table(title: str, rows: list[str]) -> str:
    return "\n".join([f"============================== {title} ==============================",
                      HEADER, *rows]) + "\n\n"  # fmt: skip


CONV = "[m_1/conv_1/Relu;m_1/conv_1/convolution]:0"
POOL = "[m_1/pool_1/MaxPool2d]:1"
DENSE = "[m_1/dense_1/MatMul;m_1/dense_1/BiasAdd]:2"
SOFTMAX = "[StatefulPartitionedCall_1:0]:3"
RUN_ROWS = [
    row("CONV_2D", 1.5, 1.2, 60.0, 60.0, CONV),
    row("MAX_POOL_2D", 0.3, 0.2, 10.0, 70.0, POOL),
    row("FULLY_CONNECTED", 0.6, 0.5, 25.0, 95.0, DENSE),
    row("SOFTMAX", 0.1, 0.1, 5.0, 100.0, SOFTMAX),
]
CURRENT = (
    "INFO: Inference timings in us: Init: 3337, First inference: 2100, Warmup (avg): 2050, "
    "Inference (avg): 2000\n"
    "INFO: Profiling Info for Benchmark Initialization:\n"
    + table("Run Order", [row("AllocateTensors", 0.25, 0.25, 100.0, 100.0, "AllocateTensors/0")])
    + "Number of nodes executed: 1\nTimings (microseconds): count=1 curr=250\n"
    "Memory (bytes): count=0\n1 nodes observed\n\n\n"
    "INFO: Operator-wise Profiling Info for Regular Benchmark Runs:\n"
    + table("Run Order", RUN_ROWS)
    + table("Top by Computation Time", sorted(RUN_ROWS, key=lambda r: r)[:2])
    + "Number of nodes executed: 4\n"
    "============================== Summary by node type ==============================\n"
    "\t                             [Node type]\t  [count]\t  [avg ms]\t    [avg %]\t    [cdf %]"
    "\t  [mem KB]\t[times called]\n"
    "\t                                 CONV_2D\t        1\t     1.200\t    60.000%\t    60.000%"
    "\t     0.000\t        1\n\n"
    "Timings (microseconds): count=50 first=2500 curr=2000 min=1900 max=2600 avg=2000 std=80\n"
    "Memory (bytes): count=0\n4 nodes observed\n\n\n"
)
C_OUT, P_OUT = "m_1/conv_1/Relu;m_1/conv_1/convolution", "m_1/pool_1/MaxPool2d"
D_OUT = "m_1/dense_1/MatMul;m_1/dense_1/BiasAdd"
GRAPH = [
    GraphNode(0, "CONV_2D", (C_OUT,), ("image",)),
    GraphNode(1, "MAX_POOL_2D", (P_OUT,), (C_OUT,)),
    GraphNode(2, "FULLY_CONNECTED", (D_OUT,), (P_OUT,)),
    GraphNode(3, "SOFTMAX", ("StatefulPartitionedCall_1:0",), (D_OUT,)),
]


def test_the_regular_runs_run_order_is_read_and_the_initialization_block_is_not() -> None:
    profile = parse_op_profile(CURRENT)
    assert profile is not None
    assert [op.node_type for op in profile.ops] == [
        "CONV_2D", "MAX_POOL_2D", "FULLY_CONNECTED", "SOFTMAX"
    ]  # fmt: skip
    conv = profile.ops[0]
    assert (conv.avg_ms, conv.first_ms, conv.percent, conv.times_called) == (1.2, 1.5, 60.0, 1)
    assert conv.node_index == 0 and conv.outputs == ("m_1/conv_1/Relu;m_1/conv_1/convolution",)
    assert round(profile.total_ms, 3) == 2.0


def test_tf_2_3_tables_with_a_start_column_and_no_prefix() -> None:
    """TF 2.3's tables had `[start]` after the node type (issue #42507's output)."""
    header = (
        "\t             [node type]\t          [start]\t  [first]\t [avg ms]\t     [%]\t  [cdf%]"
        "\t  [mem KB]\t[times called]\t[Name]"
    )
    rows = [
        f"\t{'CONV_2D':>24}\t{0.0:17.3f}\t{1.5:9.3f}\t{1.2:9.3f}\t{80.0:7.3f}%\t{80.0:7.3f}%"
        f"\t{0.0:10.3f}\t{1:>9}\t{CONV}",
        f"\t{'MAX_POOL_2D':>24}\t{1.2:17.3f}\t{0.3:9.3f}\t{0.3:9.3f}\t{20.0:7.3f}%\t{100.0:7.3f}%"
        f"\t{0.0:10.3f}\t{1:>9}\t{POOL}",
    ]
    text = (
        "Operator-wise Profiling Info for Regular Benchmark Runs:\n"
        "============================== Run Order ==============================\n"
        + "\n".join([header, *rows])
        + "\n\n"
    )
    profile = parse_op_profile(text)
    assert profile is not None
    assert [(op.node_type, op.avg_ms, op.node_index) for op in profile.ops] == [
        ("CONV_2D", 1.2, 0),
        ("MAX_POOL_2D", 0.3, 1),
    ]


def test_subgraphs_and_a_delegates_internal_ops_are_kept_apart() -> None:
    text = (
        "INFO: Operator-wise Profiling Info for Regular Benchmark Runs:\n"
        "Primary graph (name: main) profile:\n"
        + table(
            "Run Order",
            [
                row("TfLiteXNNPackDelegate", 2.0, 1.9, 95.0, 95.0, "[out]:4"),
                row("WHILE", 0.1, 0.1, 5.0, 100.0, "[loop]:5"),
            ],
        )
        + "Timings (microseconds): count=10 curr=2000(all same)\n"
        "Memory (bytes): count=0\n2 nodes observed\n\n"
        "Subgraph (index: 1, name: body) profile:\n"
        + table("Run Order", [row("ADD", 0.05, 0.05, 100.0, 100.0, "[body/add]:0")])
        + "Subgraph (index: 1, name: body) Timings (microseconds): count=10 curr=50(all same)\n\n"
        "Delegate internal: \n"
        + table(
            "Run Order",
            [
                row(
                    "DelegateOpInvoke",
                    1.5,
                    1.4,
                    75.0,
                    75.0,
                    "Delegate/Convolution (NHWC, F32) IGEMM:0",
                ),
                row(
                    "DelegateOpInvoke",
                    0.5,
                    0.5,
                    25.0,
                    100.0,
                    "Delegate/Global Average Pooling (NWC, F32):1",
                ),
            ],
        )
    )
    profile = parse_op_profile(text)
    assert profile is not None
    assert [(op.node_type, op.subgraph) for op in profile.ops] == [
        ("TfLiteXNNPackDelegate", 0), ("WHILE", 0), ("ADD", 1)
    ]  # fmt: skip
    assert [op.name for op in profile.delegate_internal] == [
        "Delegate/Convolution (NHWC, F32) IGEMM:0",
        "Delegate/Global Average Pooling (NWC, F32):1",
    ]
    assert profile.delegate_internal[0].node_index == 0


def test_output_without_a_profile_gives_none() -> None:
    assert parse_op_profile("INFO: Inference timings in us: Init: 1, Inference (avg): 2\n") is None
    assert parse_op_profile("") is None
    truncated = CURRENT[: CURRENT.index("Operator-wise") + 80]
    assert parse_op_profile(truncated) is None


def test_nodes_map_to_keras_layers_and_an_unnamed_output_takes_its_inputs_layer() -> None:
    profile = parse_op_profile(CURRENT)
    assert profile is not None
    layers = layer_times(profile, GRAPH, ["image", "conv", "pool", "dense"])
    assert [(t.layer, round(t.ms, 3), t.ran_on) for t in layers] == [
        ("conv", 1.2, "CPU"),
        ("pool", 0.2, "CPU"),
        ("dense", 0.6, "CPU"),  # the SOFTMAX that ends the model is the dense layer's
    ]
    assert layers[2].ops == ("FULLY_CONNECTED", "SOFTMAX")
    assert round(sum(t.percent for t in layers), 6) == 100.0
    # Without the model file or its layer names, the tensor names alone still tell.
    alone = layer_times(profile)
    assert [t.layer for t in alone] == ["conv", "pool", "dense", "(unnamed ops)"]


def test_a_delegate_partition_lists_the_layers_it_ran() -> None:
    text = "INFO: Operator-wise Profiling Info for Regular Benchmark Runs:\n" + table(
        "Run Order",
        [
            row("TfLiteGpuDelegateV2", 1.0, 0.9, 75.0, 75.0, "[m_1/pool_1/MaxPool2d]:4"),
            row("FULLY_CONNECTED", 0.3, 0.2, 16.7, 91.7, DENSE),
            row("SOFTMAX", 0.1, 0.1, 8.3, 100.0, SOFTMAX),
        ],
    )
    profile = parse_op_profile(text)
    assert profile is not None
    layers = layer_times(profile, GRAPH, ["conv", "pool", "dense"])
    gpu = layers[0]
    assert (gpu.ran_on, gpu.layers, gpu.layer) == (
        "GPU",
        ("conv", "pool"),
        "GPU delegate #4 (2 layers)",
    )
    assert [t.layer for t in layers[1:]] == ["dense"]
    assert delegate_of("TfLiteXNNPackDelegate") == "XNNPACK" and delegate_of("CONV_2D") is None


def test_a_fused_node_counts_under_the_layer_that_does_its_arithmetic() -> None:
    """TFLite names a convolution with its batch norm and activation fused in after all three
    layers, activation first (real names from a converted int8 MobileNetV2)."""
    depthwise = (
        "mobilenet_v2_1/block_1_depthwise_relu_1/Relu6;mobilenet_v2_1/block_1_depthwise_BN_1/"
        "batchnorm/mul_1;mobilenet_v2_1/block_1_depthwise_1/depthwise;;"
        "mobilenet_v2_1/block_1_pad_1/Pad1"
    )
    conv = "mobilenet_v2_1/Conv1_relu_1/Relu6;mobilenet_v2_1/Conv1_1/convolution"
    known = ["Conv1", "bn_Conv1", "Conv1_relu", "block_1_pad", "block_1_depthwise",
             "block_1_depthwise_BN", "block_1_depthwise_relu"]  # fmt: skip
    assert layers_of_outputs((conv,), known, "CONV_2D") == ("Conv1", ("Conv1_relu", "Conv1"))
    primary, fused = layers_of_outputs((depthwise,), known, "DEPTHWISE_CONV_2D") or ("", ())
    assert primary == "block_1_depthwise"
    assert set(fused) == {"block_1_depthwise", "block_1_depthwise_BN", "block_1_depthwise_relu",
                          "block_1_pad"}  # fmt: skip
    # An op of no known kind: the last layer named.
    assert layers_of_outputs(("m_1/a_1/Relu;m_1/b_1/add",), ["a", "b"], "ADD") == ("b", ("a", "b"))
