"""Reading the epochs of a TensorBoard log folder that `keras.callbacks.TensorBoard` wrote.

Keras' TensorBoard callback (keras/src/callbacks/tensorboard.py) writes a run folder with
`train/` and `validation/` event files; at each epoch's end it writes `epoch_<metric>` scalars
with the 0-based epoch as the step (validation's without their `val_` prefix, which is put
back here), and `epoch_learning_rate` for the optimizer's rate. With `update_freq="batch"` (or a
number) it also writes `batch_<metric>` scalars stepped by the global batch, and validation
writes `evaluation_<metric>_vs_iterations`: neither is an epoch, so only `epoch_` tags are read.
A resumed training (a second `fit` into the same folder) adds new event files; where they
repeat an epoch, the one written last (by wall time) stands. Each epoch's seconds are the wall
time since the previous epoch's scalars in the same file (the first epoch's since the file
began), so they include validation, as a cnnlab training's do.

The files are read with TensorFlow's own reader (`tf.compat.v1.train.summary_iterator`),
imported only here, when a folder is imported. A file corrupt in the middle gives TensorFlow's
DataLossError: what was read before it is kept and the import says so; a file cut short (a copy
interrupted, a run still writing) is read to its last whole record, which a walk over the
TFRecord frames finds, and says so too. A run with no epoch scalar at all is refused.
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from cnnlab.engine.kinds.fit.logged_run import LoggedRun, RawEpoch
from cnnlab.errors import CnnlabError

EVENT_GLOB = "events.out.tfevents.*"
SIDES = {"train": "", "validation": "val_"}
EPOCH_PREFIX = "epoch_"
SKIPPED = ("steps_per_second",)  # Keras' write_steps_per_second: a speed, not a metric
MAX_EVENT_BYTES = 1024 * 1024 * 1024  # histograms and images make large files; scalars do not


def event_files(folder: Path) -> list[Path]:
    """The TensorBoard event files anywhere below `folder`, in a stable order."""
    return sorted(p for p in folder.rglob(EVENT_GLOB) if p.is_file())


def tensorboard_runs(folder: Path) -> list[Path]:
    """The run folders below `folder`: each event file's folder, or the folder above it when
    that is a Keras run's `train/` or `validation/` (and not `folder` itself)."""
    runs: set[Path] = set()
    for path in event_files(folder):
        parent = path.parent
        if parent.name in SIDES and parent != folder:
            parent = parent.parent
        runs.add(parent)
    return sorted(runs)


@dataclass
class _Scalar:
    value: float
    wall_time: float


@dataclass
class _Reading:
    """What the files of one run held, before it becomes a `LoggedRun`."""

    scalars: dict[tuple[int, str], _Scalar] = field(default_factory=dict)
    written: dict[int, int] = field(default_factory=dict)  # epoch: files that wrote it
    seconds: dict[int, float] = field(default_factory=dict)
    starts: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tags: set[str] = field(default_factory=set)
    model: str | None = None


def read_tensorboard_run(run: Path, root: Path) -> LoggedRun:
    """The epochs of one run folder (see `tensorboard_runs`); `root` is the folder the user
    named, which file names in sentences are relative to."""
    from cnnlab.quiet_tensorflow import import_tensorflow_quietly

    import_tensorflow_quietly()
    files = _run_files(run)
    digest = hashlib.sha256()
    total = 0
    reading = _Reading()
    for path, side in files:
        size = path.stat().st_size
        if size > MAX_EVENT_BYTES:
            raise CnnlabError(
                f"{_shown(path, root)} is {size / 2**30:.1f} GiB, more than a TensorBoard log "
                f"cnnlab reads ({MAX_EVENT_BYTES // 2**30} GiB); check that it is the right file."
            )
        digest.update(str(path.relative_to(run)).encode() + b"\0")
        with path.open("rb") as handle:
            data = handle.read()
        digest.update(data)
        total += len(data)
        _read_file(path, side, data, root, reading)
    if not reading.scalars:
        _refuse_empty(run, root, files, reading)
    if (
        run.name in SIDES
        and (run.parent / "train").is_dir()
        and (run.parent / "validation").is_dir()
    ):
        reading.notes.append(
            f"{run.name}/ is one side of a Keras run; import {run.parent} to have its training "
            "and validation metrics in one experiment."
        )
    epochs: dict[int, RawEpoch] = {}
    for (step, key), scalar in sorted(reading.scalars.items()):
        epoch = epochs.setdefault(step, RawEpoch())
        epoch.values[key] = scalar.value
        epoch.at = max(epoch.at or 0.0, scalar.wall_time)
    for step, epoch in epochs.items():
        epoch.seconds = reading.seconds.get(step)
    return LoggedRun(
        source="tensorboard",
        path=run,
        sha256=digest.hexdigest(),
        bytes=total,
        epochs=dict(sorted(epochs.items())),
        repeated=sorted(step for step, count in reading.written.items() if count > 1),
        notes=reading.notes,
        model=reading.model,
        started_at=min(reading.starts) if reading.starts else None,
        finished_at=max(e.at for e in epochs.values() if e.at is not None),
    )


def _run_files(run: Path) -> list[tuple[Path, str]]:
    """(event file, "" for train or "val_" for validation) of one run, oldest first."""
    files: list[tuple[Path, str]] = []
    for side, prefix in SIDES.items():
        files += [(p, prefix) for p in sorted((run / side).glob(EVENT_GLOB)) if p.is_file()]
    # Events written straight into the run folder (tf.summary, not Keras' callback) are its
    # training side, unless the folder is itself a validation/ folder the user named.
    own = SIDES.get(run.name, "")
    files += [(p, own) for p in sorted(run.glob(EVENT_GLOB)) if p.is_file()]
    return files


def _quietly(tf: Any, path: Path) -> Iterator[Any]:
    """The file's events, TensorFlow's Python logger at ERROR while they are read: its reader
    logs "tf_record_iterator ... is deprecated" (twice) to the user's terminal."""
    logger = tf.get_logger()
    level = logger.level
    logger.setLevel("ERROR")
    try:
        yield from tf.compat.v1.train.summary_iterator(str(path))
    finally:
        logger.setLevel(level)


def _read_file(path: Path, side: str, data: bytes, root: Path, reading: _Reading) -> None:
    import tensorflow as tf

    cut = _cut_short(data)
    if cut:
        reading.notes.append(
            f"{_shown(path, root)} ends inside a record ({cut} byte(s) of it are missing: the "
            "file was still being written or copied); its whole records are imported."
        )
    header_time: float | None = None  # the file's start: its header records' last wall time
    previous: float | None = None
    steps_here: set[int] = set()
    try:
        for event in _quietly(tf, path):
            values = list(event.summary.value) if event.HasField("summary") else []
            epoch_values = [v for v in values if v.tag.startswith(EPOCH_PREFIX)]
            reading.tags.update(v.tag for v in values)
            if not values or (values[0].tag == "keras" and not epoch_values):
                if values and reading.model is None:
                    reading.model = _model_name(values[0], tf)
                if previous is None:
                    header_time = event.wall_time
                continue
            if header_time is not None and previous is None and side == "":
                reading.starts.append(header_time)
                previous = header_time
            for value in epoch_values:
                name = value.tag[len(EPOCH_PREFIX) :]
                if name in SKIPPED:
                    continue
                number = _scalar(value, tf)
                if number is None:
                    continue
                step = int(event.step)
                key = f"{side}{name}" if side else name
                if side == "" and step not in steps_here:
                    if previous is not None:
                        reading.seconds[step] = max(0.0, event.wall_time - previous)
                    previous = event.wall_time
                if step not in steps_here:
                    steps_here.add(step)
                    if side == "":
                        reading.written[step] = reading.written.get(step, 0) + 1
                known = reading.scalars.get((step, key))
                if known is None or event.wall_time >= known.wall_time:
                    reading.scalars[(step, key)] = _Scalar(number, event.wall_time)
    except tf.errors.DataLossError as exc:
        reading.notes.append(
            f"{_shown(path, root)} is corrupt ({_first(exc)}); what was read before that "
            "point is imported, the records after it are not."
        )


def _scalar(value: Any, tf: Any) -> float | None:
    """A summary value's number: TF2 summaries hold it as a tensor, TF1 ones as simple_value."""
    kind = value.WhichOneof("value")
    if kind == "simple_value":
        return float(value.simple_value)
    if kind == "tensor":
        try:
            array = tf.make_ndarray(value.tensor)
        except Exception:
            return None
        if array.shape != () or array.dtype.kind not in "fiu":
            return None
        return float(array)
    return None


def _model_name(value: Any, tf: Any) -> str | None:
    """The model's name from Keras' graph summary (its config as JSON), if there is one."""
    try:
        text = tf.make_ndarray(value.tensor).item()
        config = json.loads(text.decode() if isinstance(text, bytes) else text)
        name = config.get("config", {}).get("name")
    except Exception:
        return None
    return name if isinstance(name, str) and name else None


def _cut_short(data: bytes) -> int:
    """How many bytes the last record lacks, walking the TFRecord frames (length, its CRC,
    the data, its CRC); 0 for a whole file."""
    offset = 0
    while offset < len(data):
        if offset + 12 > len(data):
            return offset + 12 - len(data)
        length = int(struct.unpack_from("<Q", data, offset)[0])
        end = offset + 12 + length + 4
        if end > len(data):
            return end - len(data)
        offset = end
    return 0


def _refuse_empty(
    run: Path, root: Path, files: list[tuple[Path, str]], reading: _Reading
) -> NoReturn:
    where = _shown(run, root) if run != root else str(root)
    batch_only = any(t.startswith("batch_") for t in reading.tags)
    found = f"only {', '.join(sorted(reading.tags)[:6])}" if reading.tags else "no scalar at all"
    reason = " (batch scalars only: the training never finished an epoch)" if batch_only else ""
    troubles = f" {' '.join(reading.notes)}" if reading.notes else ""
    raise CnnlabError(
        f"{where} holds {len(files)} TensorBoard event file(s) with no epoch scalars "
        f"(epoch_loss, epoch_accuracy, ...): {found}{reason}.{troubles} Nothing was imported."
    )


def _shown(path: Path, root: Path) -> str:
    try:
        relative = path.relative_to(root)
    except ValueError:
        return str(path)
    return str(Path(root.name) / relative) if str(relative) != "." else root.name


def _first(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
