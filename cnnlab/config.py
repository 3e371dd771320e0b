"""Typed defaults from `cnnlab.toml`, so that a lab sets parallelism, backend and phone tools once.

Two optional files are read: the user's (`$XDG_CONFIG_HOME/cnnlab/cnnlab.toml`) and the one next
to the database, which wins key by key. Every key is declared below with its type and meaning;
an unknown key or a bad value is an error that names the file and line, never a silent default.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cnnlab.errors import ConfigError

CONFIG_NAME = "cnnlab.toml"


def _doc(text: str, check: str | None = None) -> dict[str, str]:
    meta = {"doc": text}
    if check:
        meta["check"] = check
    return meta


@dataclass(frozen=True)
class EngineConfig:
    """How jobs are run."""

    max_parallel: int | None = field(
        default=None,
        metadata=_doc(
            "Local jobs run at once, all kinds together. Unset: no cap beyond the slots below "
            "and the phones (one job each).",
            "positive",
        ),
    )
    trainer_slots: int | None = field(
        default=None,
        metadata=_doc(
            "Trainings and transfers run at once. Unset: one per visible GPU, or one on a "
            "machine without GPU.",
            "positive",
        ),
    )
    conversion_slots: int = field(
        default=1,
        metadata=_doc(
            "Conversions and imports run at once, beside the trainings (they use no GPU).",
            "positive",
        ),
    )
    backend: Literal["local", "slurm"] = field(
        default="local", metadata=_doc("Where jobs run: local processes or Slurm.")
    )
    idle_timeout_s: float = field(
        default=300.0,
        metadata=_doc(
            "Seconds the scheduler waits with nothing to do before it exits.", "positive"
        ),
    )
    stop_grace_s: float = field(
        default=30.0,
        metadata=_doc(
            "Seconds a stopped `cnnlab run` script has after SIGTERM before it is killed.",
            "positive",
        ),
    )


@dataclass(frozen=True)
class StoreConfig:
    """How the SQLite file is used."""

    busy_timeout_s: float = field(
        default=30.0,
        metadata=_doc(
            "Seconds a command waits for another process's write lock before giving up.",
            "non_negative",
        ),
    )
    allow_network_filesystem: bool = field(
        default=False,
        metadata=_doc(
            "Run even when the database is on NFS, SMB or another network filesystem, where "
            "SQLite's WAL and locks do not work across hosts (writes can be lost)."
        ),
    )


@dataclass(frozen=True)
class DevicesConfig:
    """Where phones and their tools are found."""

    benchmark_model: str | None = field(
        default=None,
        metadata=_doc(
            "Path of TFLite's android_aarch64 `benchmark_model` binary pushed to phones "
            "(relative paths are relative to the file that sets it)."
        ),
    )
    adb_host: str = field(default="127.0.0.1", metadata=_doc("Host of the adb server."))
    adb_port: int = field(default=5037, metadata=_doc("Port of the adb server.", "port"))


@dataclass(frozen=True)
class SlurmConfig:
    """Defaults for the Slurm backend."""

    partition: str | None = field(default=None, metadata=_doc("Partition jobs are sent to."))
    account: str | None = field(default=None, metadata=_doc("Account charged for the jobs."))
    time_limit: str = field(
        default="24:00:00",
        metadata=_doc("Wall-clock limit per job, in Slurm's format ([D-]HH:MM:SS).", "slurm_time"),
    )
    gpus_per_job: int = field(default=1, metadata=_doc("GPUs requested per job.", "non_negative"))
    sbatch_args: tuple[str, ...] = field(
        default=(),
        metadata=_doc(
            'Extra `sbatch` options for every job, e.g. ["--cpus-per-task=4", "--mem=16G"] '
            "(`--sbatch-arg` adds more per job)."
        ),
    )


@dataclass(frozen=True)
class Config:
    """Every setting cnnlab reads from `cnnlab.toml`, with the files it came from."""

    engine: EngineConfig = EngineConfig()
    store: StoreConfig = StoreConfig()
    devices: DevicesConfig = DevicesConfig()
    slurm: SlurmConfig = SlurmConfig()
    # [models]: the lab's own architectures by name, each "file.py:function" or "model.keras"
    # (paths absolute, from the folder of the file that named them; `cnnlab.models.custom`).
    models: dict[str, str] = field(default_factory=dict)
    sources: tuple[Path, ...] = ()


SECTIONS: dict[str, type[Any]] = {
    "engine": EngineConfig,
    "store": StoreConfig,
    "devices": DevicesConfig,
    "slurm": SlurmConfig,
}

# The free-form section: names of the lab's own architectures (not typed keys like the others).
MODELS_SECTION = "models"

_SLURM_TIME = re.compile(r"^(\d+-)?\d{1,2}(:\d{2}){0,2}$|^\d+$")


def user_config_path() -> Path:
    """The user's config file, following the XDG base directory convention."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "cnnlab" / CONFIG_NAME


def config_paths(db_path: Path) -> list[Path]:
    """Config files that apply to a database, weakest first."""
    return [user_config_path(), db_path.parent / CONFIG_NAME]


def load_config(db_path: Path) -> Config:
    """Read the user's and the database's `cnnlab.toml` (both optional) into a `Config`."""
    values: dict[str, dict[str, Any]] = {name: {} for name in SECTIONS}
    models: dict[str, str] = {}
    sources: list[Path] = []
    for path in config_paths(db_path):
        try:
            if not path.is_file():
                continue
        except OSError as exc:  # a folder on the way may not be searched (no x permission)
            folder = next((f for f in reversed(path.parents) if not os.access(f, os.X_OK)), None)
            raise ConfigError(
                f"Cannot look for {path}: the folder {folder or path.parent} cannot be searched "
                f"({exc.strerror}); fix its permissions (chmod u+rx {folder or path.parent})."
            ) from exc
        for section, fields in _read_file(path).items():
            (models if section == MODELS_SECTION else values[section]).update(fields)
        sources.append(path)
    built = {name: cls(**values[name]) for name, cls in SECTIONS.items()}
    return Config(**built, models=models, sources=tuple(sources))


def describe_keys() -> list[tuple[str, str, str, str]]:
    """(key, type, default, meaning) for every setting, for documentation and `cnnlab config`."""
    rows = []
    for section, cls in SECTIONS.items():
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            rows.append(
                (
                    f"{section}.{f.name}",
                    _type_name(hints[f.name]),
                    repr(f.default),
                    f.metadata["doc"],
                )
            )
    return rows


def _read_file(path: Path) -> dict[str, dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc}).") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        where = f"{path}:{line.group(1)}" if line else str(path)
        raise ConfigError(f"{where}: not valid TOML ({exc}).") from exc
    result: dict[str, dict[str, Any]] = {}
    for section, table in data.items():
        if section not in SECTIONS and section != MODELS_SECTION:
            raise ConfigError(
                f"{path}:{_line_of(text, section, None)}: unknown section [{section}] "
                f"(known: {', '.join((*SECTIONS, MODELS_SECTION))})."
            )
        if not isinstance(table, dict):
            number = _line_of(text, section, None)
            raise ConfigError(f"{path}:{number}: '{section}' must be a table like [{section}].")
        if section == MODELS_SECTION:
            result[section] = _check_models(path, text, table)
        else:
            result[section] = _check_section(path, text, section, table)
    return result


def _check_models(path: Path, text: str, table: dict[str, Any]) -> dict[str, str]:
    """[models]: each name a custom architecture's file (`cnnlab.model_refs`)."""
    from cnnlab.model_refs import check_lab_models

    for name, value in table.items():
        try:
            check_lab_models({name: value}, path.parent)
        except ValueError as exc:
            where = f"{path}:{_line_of(text, MODELS_SECTION, name)}"
            raise ConfigError(f"{where}: [models] {exc}.") from None
    return check_lab_models(table, path.parent)


def _check_section(path: Path, text: str, section: str, table: dict[str, Any]) -> dict[str, Any]:
    cls = SECTIONS[section]
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in dataclasses.fields(cls)}
    checked: dict[str, Any] = {}
    for key, value in table.items():
        where = f"{path}:{_line_of(text, section, key)}"
        if key not in known:
            raise ConfigError(
                f"{where}: unknown key '{section}.{key}' (known: {', '.join(known)})."
            )
        problem = _problem(value, hints[key], known[key].metadata.get("check"))
        if problem:
            raise ConfigError(f"{where}: '{section}.{key}' {problem}, got {value!r}.")
        if key == "benchmark_model" and isinstance(value, str):
            checked[key] = str((path.parent / Path(value).expanduser()).resolve())
        elif typing.get_origin(hints[key]) is tuple:
            checked[key] = tuple(value)
        else:
            checked[key] = float(value) if hints[key] is float else value
    return checked


def _problem(value: Any, hint: Any, check: str | None) -> str | None:
    """Why `value` does not fit the annotated type and check, or None when it does."""
    allowed = typing.get_args(hint) if _is_union(hint) else (hint,)
    allowed = tuple(a for a in allowed if a is not type(None))
    hint = allowed[0]
    if typing.get_origin(hint) is Literal:
        choices = typing.get_args(hint)
        if value not in choices:
            return "must be one of " + ", ".join(repr(c) for c in choices)
        return None
    if typing.get_origin(hint) is tuple:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return f"must be {_type_name(hint)}"
        return None
    if hint is bool:
        return None if isinstance(value, bool) else f"must be {_type_name(hint)}"
    if isinstance(value, bool) or not isinstance(
        value, hint if hint is not float else (int, float)
    ):
        return f"must be {_type_name(hint)}"
    if check == "positive" and value <= 0:
        return "must be greater than 0"
    if check == "non_negative" and value < 0:
        return "must be 0 or more"
    if check == "port" and not 0 < value < 65536:
        return "must be a TCP port (1-65535)"
    if check == "slurm_time" and not _SLURM_TIME.match(str(value)):
        return "must be a Slurm time limit such as '24:00:00' or '2-00:00:00'"
    return None


def _is_union(hint: Any) -> bool:
    return typing.get_origin(hint) in (typing.Union, types.UnionType)


def _type_name(hint: Any) -> str:
    if _is_union(hint):
        return " or ".join(_type_name(a) for a in typing.get_args(hint))
    if typing.get_origin(hint) is Literal:
        return " | ".join(repr(c) for c in typing.get_args(hint))
    if typing.get_origin(hint) is tuple:
        return "a list of strings"
    names = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}
    return names.get(hint, "unset" if hint is type(None) else str(hint))


def _line_of(text: str, section: str, key: str | None) -> int:
    """Best-effort line number of `[section]` or of `key` inside it, for error messages."""
    current = ""
    header = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]")
    for number, line in enumerate(text.splitlines(), start=1):
        match = header.match(line)
        if match:
            current = match.group(1).strip('"')
            if key is None and current == section:
                return number
            continue
        assignment = re.match(r'^\s*("[^"]*"|[\w.\-"]+)\s*=', line)
        if not assignment:
            continue
        name = assignment.group(1).replace('"', "")
        full = f"{current}.{name}" if current else name
        if full == (f"{section}.{key}" if key else section) or (
            key is None and full.startswith(section + ".")
        ):
            return number
    return 1
