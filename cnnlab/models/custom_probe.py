"""Checking a custom architecture at submit time, in a child process: does it build, for this
input and these classes, and what are its parameters, MACs and layers?

The user's file runs in the child, so its imports, prints, `sys.exit` or a crash inside
TensorFlow cannot reach the CLI or the TUI, and neither of them loads TensorFlow for a check.
`python -m cnnlab.models.custom_probe REQUEST_JSON` prints one JSON line: the model's facts, or
`{"error": sentence}`. `probe` is the caller's side.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cnnlab.models.custom import ModelSource
from cnnlab.models.errors import ModelError

PROBE_TIMEOUT_S = 600.0  # building a big model on a busy login node can take minutes


@dataclass(frozen=True)
class Probed:
    """What building the model found."""

    name: str
    input_shape: tuple[int, int, int]
    classes: int
    params: int
    trainable_params: int
    macs: int
    layers: tuple[str, ...]
    # modules beside the file that it imported (paths relative to its folder), to keep with it
    modules: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "input_shape": list(self.input_shape),
            "classes": self.classes,
            "params": self.params,
            "trainable_params": self.trainable_params,
            "macs": self.macs,
            "layers": list(self.layers),
            "modules": list(self.modules),
        }


def probe(
    source: ModelSource,
    input_size: int | None,
    classes: int | None,
    *,
    width: float = 1.0,
    weights: str | None = None,
) -> Probed:
    """Build `source` in a child process for a square `input_size` (None: the builder's own
    default, or the .keras file's input) and `classes` (None: the model's own); a ModelError
    with the child's one sentence when it cannot."""
    request = {
        "source": source.to_json(),
        "input": input_size,
        "classes": classes,
        "width": width,
        "weights": weights,
    }
    try:
        done = subprocess.run(
            [sys.executable, "-m", __name__, json.dumps(request)],
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2")},
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ModelError(
            f"Building {source.reference} took over {PROBE_TIMEOUT_S:.0f} s; check it with "
            f"`cnnlab models show {source.reference}`."
        ) from None
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        tail = [line for line in done.stderr.strip().splitlines() if line.strip()][-1:]
        raise ModelError(
            f"Building {source.reference} crashed (exit status {done.returncode})"
            + (f": {tail[0][:300]}" if tail else "")
            + "."
        )
    answer = json.loads(lines[-1])
    if "error" in answer:
        raise ModelError(str(answer["error"]))
    return Probed(
        str(answer["name"]),
        (
            int(answer["input_shape"][0]),
            int(answer["input_shape"][1]),
            int(answer["input_shape"][2]),
        ),
        int(answer["classes"]),
        int(answer["params"]),
        int(answer["trainable_params"]),
        int(answer["macs"]),
        tuple(str(name) for name in answer["layers"]),
        tuple(str(module) for module in answer.get("modules") or ()),
    )


def build_and_count(request: dict[str, Any]) -> Probed:
    """The child's work (also used in-process by `cnnlab models show`, which loads TF anyway)."""
    from cnnlab.models.counting import count_model
    from cnnlab.models.custom_build import build_custom, default_input_shape, model_input_shape
    from cnnlab.quiet_tensorflow import import_tensorflow_quietly

    source = ModelSource.from_json(request["source"])
    file = Path(request.get("file") or source.path)
    import_tensorflow_quietly()
    imported_before = set(sys.modules)
    size = request.get("input")
    if size is not None:
        shape = (int(size), int(size), 3)
    else:
        shape = _shape(default_input_shape(source, file) or model_input_shape(source, file))
    classes = request.get("classes")
    model = build_custom(
        source,
        file,
        shape,
        classes,
        width=float(request.get("width") or 1.0),
        weights=request.get("weights"),
    )
    counts = count_model(model)
    return Probed(
        model.name,
        _shape(model.input_shape[1:]),
        int(model.output_shape[-1]),
        counts.total_params,
        counts.trainable_params,
        counts.macs,
        tuple(layer.name for layer in model.layers),
        _modules_beside(file, set(sys.modules) - imported_before),
    )


def _modules_beside(file: Path, names: set[str]) -> tuple[str, ...]:
    """The files of the modules `names` that lie in `file`'s folder (its own imports of
    `blocks.py` or `mylib/` beside it; never an installed package), relative to that folder."""
    folder = Path(os.path.abspath(file.parent))
    found: set[str] = set()
    for name in names:
        if name.partition(".")[0] == "cnnlab":  # ours, imported while building (a checkout)
            continue
        where = getattr(sys.modules.get(name), "__file__", None)
        if not where or not where.endswith(".py"):
            continue
        path = Path(os.path.abspath(where))
        if path == Path(os.path.abspath(file)) or _installed(path):
            continue
        if path.is_relative_to(folder):
            found.add(path.relative_to(folder).as_posix())
    return tuple(sorted(found))


def _installed(path: Path) -> bool:
    """A package pip installed (a virtual environment inside the user's folder, say)."""
    return any(part in ("site-packages", "dist-packages") for part in path.parts)


def _shape(sides: Any) -> tuple[int, int, int]:
    values = [int(side) for side in sides]
    if len(values) != 3:
        raise ModelError(f"An image input is height x width x channels, got {tuple(sides)!r}.")
    return (values[0], values[1], values[2])


def main(argv: list[str]) -> int:
    request = json.loads(argv[0])
    out = sys.stdout
    try:
        with contextlib.redirect_stdout(sys.stderr):  # the user's prints are not our answer
            answer = build_and_count(request).to_json()
    except ModelError as exc:
        answer = {"error": str(exc)}
    print(json.dumps(answer), file=out, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
