"""Submitting a script job: the one engine call `cnnlab run` and the TUI go through.

Everything is checked before the row is written (the folder, the program on the submitter's
PATH, the Python script it names, the GPUs this host has), and what the code was is recorded
with it: the program's absolute path, the git commit and a hash of the uncommitted changes.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from cnnlab.config import load_config
from cnnlab.engine.control import submit
from cnnlab.engine.kinds.script.command import check_command, python_script, script_folder
from cnnlab.engine.kinds.script.source import source_state
from cnnlab.engine.kinds.script.spec import ScriptSpec
from cnnlab.engine.runtime.environment import gpu_names
from cnnlab.engine.spec import SpecError
from cnnlab.store import Backend, Store

if TYPE_CHECKING:
    from cnnlab.engine import SlurmOptions


def plan_script(
    argv: Sequence[str],
    *,
    cwd: str | Path | None = None,
    gpus: int = 0,
    name: str = "",
    path: str | None = None,
    host_gpus: int | None = None,
) -> ScriptSpec:
    """The spec `argv` runs as, checked (see the module docstring). `path` is the PATH the
    program is looked up on (default: this process's); `host_gpus`, when given, the number of
    GPUs the job may ask for (a local job: this host's)."""
    folder = Path(cwd if cwd is not None else os.getcwd()).absolute()
    argv = list(argv)
    ScriptSpec(argv=tuple(argv), cwd=str(folder), gpus=gpus)  # the plain values first
    if host_gpus is not None and gpus > host_gpus:
        asked = f"{gpus} GPU{'s' * (gpus != 1)}"
        if not host_gpus:
            raise SpecError(
                f"--gpus {gpus} asks for {asked}, but this host has none; use --gpus 0, or "
                "--backend slurm for a node with GPUs."
            )
        raise SpecError(
            f"--gpus {gpus} asks for {asked}, but this host has {host_gpus}; use --gpus "
            f"{host_gpus} or less."
        )
    program = check_command(argv, folder, path)
    state = source_state(script_folder(argv, folder, program))
    script = python_script(argv)
    return ScriptSpec(
        argv=tuple(argv),
        cwd=str(folder),
        gpus=gpus,
        name=name or Path(script or argv[0]).name,
        program=program,
        git_commit=state.commit,
        git_dirty=state.dirty,
    )


def submit_script(
    store: Store,
    argv: Sequence[str],
    *,
    cwd: str | Path | None = None,
    gpus: int | None = None,
    name: str = "",
    path: str | None = None,
    backend: str | None = None,
    slurm: SlurmOptions | None = None,
) -> int:
    """Queue `argv` as a script job; returns its experiment id.

    `gpus` left out is 0 on this host and `slurm.gpus_per_job` on Slurm; a local job may ask
    for at most the GPUs this host has. On Slurm the job asks Slurm for its GPUs.
    """
    from cnnlab import engine  # its public SlurmOptions: a kind never imports the backend

    SLURM = Backend.SLURM.value
    config = load_config(store.path)
    where = backend or (SLURM if slurm is not None else config.engine.backend)
    if where == SLURM:
        options = slurm or engine.SlurmOptions.from_config(config.slurm)
        count = options.gpus if gpus is None else gpus
        spec = plan_script(argv, cwd=cwd, gpus=count, name=name, path=path)
        slurm = dataclasses.replace(options, gpus=spec.gpus)
    else:
        spec = plan_script(
            argv, cwd=cwd, gpus=gpus or 0, name=name, path=path, host_gpus=len(gpu_names())
        )
    return submit(store, spec, backend=where, slurm=slurm)
