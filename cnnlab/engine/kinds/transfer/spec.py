"""What a transfer job is asked to do: its spec and the `--freeze` language, without its code.

Kept apart from `cnnlab.engine.kinds.transfer.run` (which reads stores and saved models) so that the
option declarations (`cnnlab.engine.params`) and every command's start can know the spec's
fields and defaults without importing the store.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from cnnlab.engine.spec import SpecError, TrainSpec, whole_number

MAX_DROP_LAST = 1000  # layers a new head may replace; the job checks the parent's real count
_FREEZE = re.compile(r"^(first):(\d+)$|^(layers):(.+)$|^(upto):(.+)$")


@dataclass(frozen=True)
class Freeze:
    """What to freeze: the first N convolution blocks, named layers, or everything up to one."""

    first: int | None = None
    layers: tuple[str, ...] = ()
    up_to: str | None = None


def parse_freeze(text: str) -> Freeze:
    """`first:3`, `layers:conv1,conv2` or `upto:NAME` (empty: freeze nothing)."""
    if not text:
        return Freeze()
    match = _FREEZE.match(text.strip())
    if not match:
        raise SpecError(
            f"Cannot read --freeze {text!r}; use first:N, layers:NAME,NAME or upto:NAME."
        )
    if match.group(1):
        return Freeze(first=int(match.group(2)))
    if match.group(3):
        return Freeze(layers=tuple(n.strip() for n in match.group(4).split(",") if n.strip()))
    return Freeze(up_to=match.group(6).strip())


@dataclass(frozen=True)
class TransferSpec(TrainSpec):
    """Train a child of experiment `source`, starting from its model."""

    kind: ClassVar[str] = "transfer"

    source: int = 0
    freeze: str = ""
    replace_head: bool = False
    drop_last: int = 1

    def __post_init__(self) -> None:
        super().__post_init__()
        if isinstance(self.source, bool) or not isinstance(self.source, int) or self.source < 1:
            raise SpecError(f"A transfer needs the parent experiment's id, got {self.source!r}.")
        parse_freeze(self.freeze)
        whole_number(self.drop_last, "drop_last", 1, MAX_DROP_LAST)
