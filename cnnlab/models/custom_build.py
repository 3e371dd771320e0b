"""Building a custom architecture (`cnnlab.models.custom`): the user's function, or a .keras file.

A function is called as `build(input_shape, num_classes, **options)` and must return an
uncompiled Keras model; a .keras file gives its architecture, freshly initialised
(`keras.models.clone_model`), unless its weights are asked for. Whatever goes wrong (the file
does not import, the function raises or returns something else, the model does not fit the
data) is one sentence naming the file, since the user's code is not ours to show a traceback
of. Imports Keras inside its functions; the user's module runs with its own folder on
sys.path, so `from common import block` beside it works.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import inspect
import os
import sys
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from cnnlab.models.custom import FUNCTION, ModelSource
from cnnlab.models.errors import ModelError

KEEP_WEIGHTS = "keep"  # --weights keep (`cnnlab.engine.spec.KEEP_WEIGHTS` says it to users)


@contextlib.contextmanager
def _beside(folder: Path) -> Iterator[None]:
    sys.path.insert(0, str(folder))
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(str(folder))


def _where(exc: BaseException, path: Path) -> str:
    """`file.py line N: ErrorType: message`, from the innermost frame in the user's file."""
    line = next(
        (
            frame.lineno
            for frame in reversed(traceback.extract_tb(exc.__traceback__))
            if Path(frame.filename) == path
        ),
        getattr(exc, "lineno", None),
    )
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    at = f" line {line}" if line else ""
    return f"{path.name}{at}: {type(exc).__name__}{': ' + message if message else ''}"


def load_module(path: Path) -> ModuleType:
    """Import the user's file as its own module (a unique name, so two files called nets.py
    do not collide)."""
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"Cannot read {path} ({exc.strerror}).") from exc
    # Named by content: the same bytes (a run folder's copy, or its original) are one module,
    # imported once per process, whichever path they are read from.
    name = f"cnnlab_custom_{hashlib.sha256(content).hexdigest()[:16]}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ModelError(f"Cannot import {path}: not a Python file.")
    module = importlib.util.module_from_spec(spec)
    with _beside(path.parent):
        try:
            spec.loader.exec_module(module)
        except SystemExit as exc:
            raise ModelError(
                f"{path} called sys.exit({exc.code!r}) when imported; keep script code under "
                '`if __name__ == "__main__":`.'
            ) from None
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                raise
            raise ModelError(f"{path} does not import: {_where(exc, path)}.") from None
    sys.modules[name] = module
    return module


def custom_objects(files: Sequence[Path]) -> dict[str, Any]:
    """The classes and functions the users' files define, by name, for loading a saved model
    that uses them (a custom layer, activation or initializer) without their registering it."""
    objects: dict[str, Any] = {}
    for file in files:
        if file.suffix != ".py":  # a .keras file's run: its classes were never ours to import
            continue
        module = load_module(file)
        for each in (module, *_modules_beside(file)):
            for name, value in vars(each).items():
                if getattr(value, "__module__", None) != each.__name__ or name.startswith("_"):
                    continue
                if inspect.isclass(value) or inspect.isfunction(value):
                    objects[name] = value
    return objects


def _modules_beside(file: Path) -> list[ModuleType]:
    """The imported modules whose files lie in `file`'s folder: in a run folder's
    `model_source/`, the ones it imports that were kept with it (`parts/blocks.py`)."""
    folder = Path(os.path.abspath(file.parent))
    found = []
    for module in list(sys.modules.values()):
        where = getattr(module, "__file__", None)
        if where and Path(os.path.abspath(where)).is_relative_to(folder):
            found.append(module)
    return found


def load_keras_model(path: Path, files: Sequence[Path] = (), *, compile: bool = False) -> Any:
    """`keras.models.load_model` of a model saved by a run whose lineage was built from
    `files` (`cnnlab.engine.kinds.lineage.model_source_files`), their objects known."""
    import keras

    objects = custom_objects(files)
    return keras.models.load_model(path, compile=compile, custom_objects=objects or None)


def default_input_shape(source: ModelSource, file: Path) -> tuple[int, ...] | None:
    """The input shape the builder defaults to (its `input_shape=` parameter), if it has one."""
    if source.kind != FUNCTION:
        return None
    function = _function(source, file, load_module(file))
    parameter = inspect.signature(function).parameters.get("input_shape")
    if parameter is None or parameter.default is inspect.Parameter.empty:
        return None
    default = parameter.default
    if isinstance(default, int):
        return (default, default, 3)
    return tuple(int(side) for side in default)


def model_input_shape(source: ModelSource, file: Path) -> tuple[int, int, int]:
    """The input shape a .keras file's model takes; a builder function without a default
    `input_shape` has none, which is one sentence asking for --input."""
    if source.kind == FUNCTION:
        raise ModelError(
            f"{source.function} in {file.name} has no default input shape; pass --input N "
            "(or give it a parameter `input_shape=(N, N, 3)`)."
        )
    import keras

    _check_zip(file)
    try:
        shape = tuple(keras.models.load_model(file, compile=False).input_shape[1:])
    except Exception as exc:
        raise _unloadable(file, exc) from None
    if len(shape) != 3 or None in shape:
        raise ModelError(f"{file}'s model takes input {shape!r}; pass --input N for its size.")
    return (int(shape[0]), int(shape[1]), int(shape[2]))


def default_classes(source: ModelSource, file: Path) -> int | None:
    """The builder's own `num_classes=` default, if it has one."""
    if source.kind != FUNCTION:
        return None
    function = _function(source, file, load_module(file))
    parameter = inspect.signature(function).parameters.get("num_classes")
    if parameter is None or not isinstance(parameter.default, int):
        return None
    return int(parameter.default)


def _function(source: ModelSource, file: Path, module: ModuleType) -> Any:
    function = getattr(module, str(source.function), None)
    if function is None:
        names = sorted(
            n for n, v in vars(module).items() if inspect.isfunction(v) and not n.startswith("_")
        )
        raise ModelError(
            f"{file} has no function {source.function!r}"
            + (f"; it defines {', '.join(names)}." if names else ".")
        )
    if not callable(function):
        raise ModelError(f"{source.function} in {file} is not a function.")
    return function


def build_custom(
    source: ModelSource,
    file: Path,
    input_shape: tuple[int, int, int],
    num_classes: int | None,
    *,
    width: float = 1.0,
    weights: str | None = None,
) -> Any:
    """The uncompiled model `source` describes, built from `file` (the run folder's copy, or
    the original when checking at submit), checked against the data's shape and classes
    (None: the model's own, for a listing; a builder then gets its default or 10)."""
    import keras

    if source.kind == FUNCTION:
        if num_classes is None:
            num_classes = default_classes(source, file) or 10
        function = _function(source, file, load_module(file))
        options: dict[str, Any] = {}
        if width != 1.0:
            accepts = inspect.signature(function).parameters
            if "width" not in accepts and not any(
                p.kind is inspect.Parameter.VAR_KEYWORD for p in accepts.values()
            ):
                raise ModelError(
                    f"{source.function} in {file.name} takes no width; leave --width at 1.0 "
                    f"(got {width!r}) or add a `width` parameter."
                )
            options["width"] = width
        with _beside(file.parent):
            try:
                model = function(input_shape, num_classes, **options)
            except Exception as exc:  # the user's code: any error is theirs to read
                call = f"{source.function}({input_shape!r}, {num_classes})"
                raise ModelError(f"{call} failed: {_where(exc, file)}.") from None
        if not isinstance(model, keras.Model):
            raise ModelError(
                f"{source.function} in {file.name} returned {type(model).__name__}, not a Keras "
                "model; return keras.Model(inputs, outputs) or a keras.Sequential."
            )
        if isinstance(model, keras.Sequential) and not model.built:
            # a Sequential without keras.Input: built for the input it was given
            model.build((None, *input_shape))
    else:
        model = _from_keras_file(file, keep_weights=weights == KEEP_WEIGHTS)
    if weights is not None and weights != KEEP_WEIGHTS:
        from cnnlab.models.weights import load_local_weights

        load_local_weights(model, Path(weights))
    check_fits(model, file, input_shape, num_classes)
    return model


def _from_keras_file(file: Path, *, keep_weights: bool) -> Any:
    import keras

    _check_zip(file)
    try:
        loaded = keras.models.load_model(file, compile=False)
    except Exception as exc:  # a corrupt zip, a custom layer it cannot find
        raise _unloadable(file, exc) from None
    if keep_weights:
        return loaded
    try:
        return keras.models.clone_model(loaded)  # the same layers, freshly initialised
    except Exception as exc:  # a subclassed model has no graph to clone
        raise ModelError(
            f"{file}'s architecture cannot be re-initialised ({type(exc).__name__}); use "
            "--weights keep to train from its own weights, or give a builder function."
        ) from None


def _unloadable(file: Path, exc: Exception) -> ModelError:
    """Why a .keras file does not load: the classes of its own it needs, when it names any
    (Keras' message for those does not), else Keras' first line."""
    custom = _custom_classes(file)
    if custom:
        return ModelError(
            f"{file} uses classes of its own ({', '.join(custom)}), which a .keras file does not "
            "carry; give the builder function that defines them (--model nets.py:build) instead."
        )
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return ModelError(f"{file} is not a Keras model cnnlab can load: {first}")


def _custom_classes(file: Path) -> list[str]:
    """The class names in a .keras file's config that come from outside Keras."""
    import json
    import zipfile

    try:
        with zipfile.ZipFile(file) as archive:
            config = json.loads(archive.read("config.json"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return []
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            module = node.get("module")
            name = node.get("class_name")
            if (
                isinstance(module, str)
                and isinstance(name, str)
                and module.split(".")[0]
                not in (
                    "keras",
                    "builtins",
                )
            ):
                found.append(name)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(config)
    return sorted(set(found))


def _check_zip(file: Path) -> None:
    """A .keras file is a zip archive; Keras' own error for anything else says "File not
    found", which sends the user looking for the wrong problem."""
    import zipfile

    if not zipfile.is_zipfile(file):
        raise ModelError(
            f"{file} is not a .keras model (not a zip archive: truncated, or another format); "
            "save it with model.save('name.keras')."
        )


def check_fits(
    model: Any, file: Path, input_shape: tuple[int, int, int], classes: int | None
) -> None:
    """One sentence when `model` cannot take the data: input shape, classes, a softmax out."""
    try:
        inputs = model.inputs or []
    except AttributeError:  # a subclassed keras.Model: no graph of inputs and outputs
        raise ModelError(
            f"{model.name} from {file.name} is a subclassed keras.Model, which has no graph "
            "cnnlab can save, convert or freeze by layer; return keras.Model(inputs, outputs) "
            "(or a keras.Sequential) built from its layers."
        ) from None
    if len(inputs) != 1 or len(getattr(model, "outputs", None) or []) != 1:
        raise ModelError(
            f"{model.name} from {file.name} must have one image input and one class output."
        )
    wanted = tuple(input_shape)
    shape = tuple(model.input_shape[1:])
    if len(shape) != 3 or any(a is not None and a != b for a, b in zip(shape, wanted, strict=True)):
        raise ModelError(
            f"{model.name} from {file.name} takes input {_shape_text(shape)}, but this run feeds "
            f"{_shape_text(wanted)} images; pass --input {shape[0]} or build it for the input "
            "shape it is given."
            if len(shape) == 3 and shape[0] is not None
            else f"{model.name} from {file.name} takes input {_shape_text(shape)}, not "
            f"{_shape_text(wanted)} images."
        )
    out = tuple(model.output_shape[1:])
    if classes is None:
        classes = int(out[0]) if len(out) == 1 and out[0] else 0
    if out != (classes,):
        raise ModelError(
            f"{model.name} from {file.name} outputs {_shape_text(out)}, but the data has "
            f"{classes} classes; end the model with Dense({classes}, activation='softmax') "
            "(a .keras file: `cnnlab import` it, then `cnnlab transfer ID --replace-head`)."
        )
    last = model.layers[-1] if getattr(model, "layers", None) else None
    activation = getattr(getattr(last, "activation", None), "__name__", None)
    if activation is not None and activation != "softmax" and classes > 1:
        raise ModelError(
            f"{model.name} from {file.name} ends in {activation}, not softmax: cnnlab trains on "
            "class probabilities; give its last layer activation='softmax'."
        )


def _shape_text(shape: tuple[Any, ...]) -> str:
    return "x".join("?" if side is None else str(side) for side in shape) or "a scalar"
