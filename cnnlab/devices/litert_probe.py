"""Does LiteRT's interpreter survive this model? Asked of a throw-away process, never of a job.

Some models crash the interpreter in native code instead of raising: a MobileNetV2 trained two
epochs and quantized to int8 makes ai-edge-litert's XNNPACK delegate abort in `allocate_tensors`
("double free or corruption", SIGABRT), while the same file runs with the builtin kernels.
Measured on that file: XNNPACK declines a convolution whose requantization scale (input scale x
weight scale / output scale) is 256 or more (BatchNorm folded into a nearly dead channel gave
1524); alone that is a Python error, but with two binary ops on constants before it in the same
partition (the MUL and ADD of the `Rescaling` layer) the clean-up frees twice. A crash like
that cannot be caught in Python; in a job it would kill the process before it records why, and
the row would read "killed by signal 6". So before a job loads a .tflite file into its own
process it asks `probe`, which loads the file in a fresh Python, allocates the tensors at the
batch size the job will use and invokes once on zeros: a crash there costs only that process,
and the job can fall back to the builtin kernels or fail with a sentence.

A model LiteRT merely refuses (a Python error: a missing op, XNNPACK declining a kernel) is
told apart from a crash, so the caller can explain each. Run by `probe` as
`python -m cnnlab.devices.litert_probe MODEL RESOLVER BATCH [THREADS]`.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

PROBE_TIMEOUT_S = 300.0  # allocating and one invoke; a big model on a slow host is seconds
XNNPACK = "AUTO"  # LiteRT's default resolver: builtin kernels with the XNNPACK delegate
BUILTIN = "BUILTIN_WITHOUT_DEFAULT_DELEGATES"
RESOLVERS = (XNNPACK, BUILTIN)
_REFUSED = 3  # the probe's exit code when LiteRT raised instead of crashing
_STDERR_TAIL = 300


@dataclass(frozen=True)
class Probe:
    """How one load-allocate-invoke went in a fresh process."""

    # refused: LiteRT raised a Python error; slow: no answer in PROBE_TIMEOUT_S (a huge model
    # on a slow host), so nothing is known against loading it
    outcome: Literal["ran", "refused", "crashed", "slow"]
    detail: str = ""  # the error's first line, or the signal and the last line on stderr

    @property
    def ran(self) -> bool:
        """Nothing speaks against loading the model in-process: it ran, or took too long."""
        return self.outcome in ("ran", "slow")

    @property
    def crashed(self) -> bool:
        return self.outcome == "crashed"


def probe(
    model: Path, *, resolver: str = XNNPACK, batch: int = 1, threads: int | None = None
) -> Probe:
    """Load `model` in a fresh Python, allocate it at `batch`, invoke it once on zeros."""
    if resolver not in RESOLVERS:
        raise ValueError(f"resolver must be one of {RESOLVERS}, got {resolver!r}")
    command = [sys.executable, "-m", __name__, str(model), resolver, str(batch)]
    if threads is not None:
        command.append(str(threads))
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        return Probe("slow", f"no answer within {PROBE_TIMEOUT_S:.0f} s")
    said = [line.strip() for line in done.stderr.splitlines() if line.strip()]
    last = said[-1][:_STDERR_TAIL] if said else ""
    if done.returncode == 0:
        return Probe("ran")
    if done.returncode == _REFUSED:
        return Probe("refused", last)
    if done.returncode < 0:
        try:
            name = signal.Signals(-done.returncode).name
        except ValueError:
            name = f"signal {-done.returncode}"
    else:
        name = f"exit code {done.returncode}"
    return Probe("crashed", f"{name}: {last}" if last else name)


def _probe(model: str, resolver: str, batch: int, threads: int | None) -> int:
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    try:
        interpreter = Interpreter(
            model_path=model,
            num_threads=threads,
            experimental_op_resolver_type=getattr(OpResolverType, resolver),
        )
        detail = interpreter.get_input_details()[0]
        if batch != 1:
            shape = [batch, *detail["shape"][1:]]
            interpreter.resize_tensor_input(detail["index"], shape, strict=False)
        interpreter.allocate_tensors()
        for detail in interpreter.get_input_details():
            interpreter.set_tensor(detail["index"], np.zeros(detail["shape"], detail["dtype"]))
        interpreter.invoke()
    except (RuntimeError, ValueError) as exc:
        lines = str(exc).strip().splitlines()
        print(lines[0] if lines else type(exc).__name__, file=sys.stderr)
        return _REFUSED
    return 0


if __name__ == "__main__":
    arguments = sys.argv[1:]
    sys.exit(
        _probe(
            arguments[0],
            arguments[1],
            int(arguments[2]),
            int(arguments[3]) if len(arguments) > 3 else None,
        )
    )
