"""The spec of a `script` job: the user's own command, where it runs, and what it ran from.

Only plain values live here, checked whatever made them (the CLI, the TUI, a stored row): a
command that is a list of strings and never a shell line, an absolute working folder, a whole
number of GPUs. Whether the program and the folder exist is asked at submit time
(`cnnlab.engine.kinds.script.submit`), and again when the job starts (they may have gone since),
but not here: a row whose folder was deleted must still be readable. No TensorFlow here.
"""

from __future__ import annotations

import dataclasses
import shlex
from dataclasses import dataclass
from typing import Any, ClassVar

from cnnlab.engine.spec import SpecError, whole_number

MAX_GPUS = 64  # more than any one node has; the host's own count is checked at submit
MAX_ARG_CHARS = 128 * 1024  # Linux refuses a single argument longer than this (MAX_ARG_STRLEN)


@dataclass(frozen=True)
class ScriptSpec:
    """Run `argv` in `cwd` as a job (see the module docstring)."""

    kind: ClassVar[str] = "script"

    argv: tuple[str, ...]
    cwd: str
    gpus: int = 0
    name: str = ""
    # The program argv[0] resolved to when it was submitted (the submitter's PATH, not the
    # scheduler's: `python` is the one of the shell that ran `cnnlab run`).
    program: str | None = None
    # The code it ran from, as found at submit: the git commit of the script's folder (None
    # outside a git checkout) and a hash of what was not committed (None when clean).
    git_commit: str | None = None
    git_dirty: str | None = None

    def __post_init__(self) -> None:
        argv: object = self.argv  # a stored row or a caller may hand anything
        if isinstance(argv, str) or not isinstance(argv, list | tuple):
            raise SpecError(f"The command must be a list of arguments, got {argv!r:.80}.")
        if not argv:
            raise SpecError("No command to run: give it after --, e.g. `-- python train.py`.")
        for arg in argv:
            if not isinstance(arg, str):
                raise SpecError(f"Every argument must be text, got {arg!r:.80}.")
            if "\0" in arg:
                raise SpecError(
                    f"An argument holds a NUL character, which no program can take: {arg!r:.80}."
                )
            if len(arg.encode()) >= MAX_ARG_CHARS:
                raise SpecError(
                    f"An argument is {len(arg.encode()):,} bytes long; Linux takes at most "
                    f"{MAX_ARG_CHARS - 1:,} per argument (pass a file instead)."
                )
        if not argv[0]:
            raise SpecError("The program to run is an empty string.")
        object.__setattr__(self, "argv", tuple(argv))
        if not isinstance(self.cwd, str) or not self.cwd.startswith("/"):
            raise SpecError(f"The working folder must be an absolute path, got {self.cwd!r}.")
        whole_number(self.gpus, "The number of GPUs (--gpus)", 0, MAX_GPUS)

    @property
    def command_line(self) -> str:
        """The command as a shell would need it typed (for display only; it never runs so)."""
        return shlex.join(self.argv)

    def to_dict(self) -> dict[str, Any]:
        values = dataclasses.asdict(self)
        values["argv"] = list(self.argv)
        return {"kind": self.kind, **values}
