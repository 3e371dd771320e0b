"""Latency on the host: LiteRT's interpreter in this process, each `invoke()` timed on its own.

The model is first run once in a throw-away process (`litert_probe`): a model that crashes the
interpreter in native code then fails the job with a sentence instead of killing it. Only the
`invoke()` call sits between the two `perf_counter_ns` reads, so the runner adds
next to nothing to what it measures; warm-up runs are discarded, every other run is a sample.
LiteRT is imported here, lazily, never TensorFlow.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cnnlab.devices.errors import ModelNotLoadable, UnsupportedDelegate
from cnnlab.devices.inventory import HOST_SERIAL, host_info
from cnnlab.devices.litert_probe import BUILTIN, XNNPACK, probe
from cnnlab.devices.results import BenchResult, summarize

HOST_DELEGATES = ("cpu", "xnnpack")


def load_interpreter(model: Path, *, threads: int | None = None, delegate: str = "cpu") -> Any:
    """A LiteRT interpreter with tensors allocated and inputs filled with fixed random data."""
    if delegate not in HOST_DELEGATES:
        raise UnsupportedDelegate(
            f"The host has no {delegate!r} delegate; use one of {', '.join(HOST_DELEGATES)} "
            "(GPU and NNAPI delegates exist on phones only)."
        )
    if not model.is_file():
        raise ModelNotLoadable(f"Model file {model} does not exist; check the artifact's path.")
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    resolver = (
        OpResolverType.AUTO
        if delegate == "xnnpack"
        else OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    )
    try:
        interpreter = Interpreter(
            model_path=str(model), num_threads=threads, experimental_op_resolver_type=resolver
        )
        interpreter.allocate_tensors()
    except (ValueError, RuntimeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelNotLoadable(
            f"LiteRT cannot load {model.name} on the host ({first}); convert the model again "
            "or check that its ops are TFLite builtins."
        ) from exc
    rng = np.random.default_rng(0)
    for detail in interpreter.get_input_details():
        dtype = detail["dtype"]
        shape = detail["shape"]
        if np.issubdtype(dtype, np.integer):
            info = np.iinfo(dtype)
            data = rng.integers(max(info.min, -128), min(info.max, 127), size=shape, dtype=dtype)
        else:
            data = rng.standard_normal(size=shape).astype(dtype)
        interpreter.set_tensor(detail["index"], data)
    return interpreter


def benchmark_host(
    model: Path,
    *,
    runs: int = 100,
    warmup: int = 10,
    threads: int | None = None,
    delegate: str = "cpu",
    on_sample: Callable[[int, float], None] | None = None,
) -> BenchResult:
    """Time `runs` invocations of `model` after `warmup` discarded ones; samples in µs.

    `on_sample(index, us)` is called after each timed run (outside the timed region); it may
    raise to stop early.
    """
    if runs < 1 or warmup < 0:
        raise ValueError(f"runs must be >= 1 and warmup >= 0, got runs={runs} warmup={warmup}")
    tried = probe(model, resolver=XNNPACK if delegate == "xnnpack" else BUILTIN, threads=threads)
    if tried.crashed:  # refusals are raised, and explained, by `load_interpreter` below
        advice = "bench it with --delegate cpu" if delegate == "xnnpack" else "convert it again"
        raise ModelNotLoadable(
            f"LiteRT's interpreter crashes running {model.name} on the host with the {delegate} "
            f"delegate ({tried.detail}); {advice}."
        )
    temp_before = host_info().temperature_c
    clock = time.perf_counter_ns
    started = clock()
    interpreter = load_interpreter(model, threads=threads, delegate=delegate)
    init_ns = clock() - started
    invoke = interpreter.invoke
    begin = clock()
    invoke()
    first_ns = clock() - begin
    for _ in range(max(0, warmup - 1)):
        invoke()
    samples: list[float] = []
    append = samples.append
    for index in range(runs):
        begin = clock()
        invoke()
        end = clock()
        append((end - begin) / 1000)
        if on_sample is not None:
            on_sample(index, samples[-1])
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return BenchResult(
        device_serial=HOST_SERIAL,
        mode="warm",
        delegate=delegate,
        threads=threads,
        cpu_mask=None,
        warmup_runs=warmup,
        runs=runs,
        samples_us=tuple(samples),
        summary=summarize(samples),
        init_us=init_ns / 1000,
        first_us=first_ns / 1000,
        peak_memory_bytes=peak_kib * 1024,
        temp_before_c=temp_before,
        temp_after_c=host_info().temperature_c,
        binary_version=_litert_version(),
        command=(
            f"LiteRT Interpreter(model_path={str(model)!r}, num_threads={threads}, "
            f"delegate={delegate!r}); {warmup} warm-up + {runs} timed invoke()"
        ),
        extra={"peak_memory": "peak resident set size of the benchmarking process"},
    )


def _litert_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"ai-edge-litert {version('ai-edge-litert')}"
    except PackageNotFoundError:
        return "ai-edge-litert"
