"""Per-epoch checkpoints that let a stopped, lost or rebooted run continue where it was.

Like Keras' BackupAndRestore, a checkpoint is the model with its optimizer state plus JSON
metadata; unlike it, the metadata also carries the early-stopping state (best value, its epoch,
epochs waited) so a resumed run stops exactly when an uninterrupted one would. Each checkpoint
is written under a new name and only then pointed to by `state.json` (replaced atomically),
so a crash while saving leaves the previous checkpoint intact.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class CheckpointState:
    """What a resumed run needs besides the weights and optimizer."""

    completed_epochs: int = 0
    model_file: str = ""
    best_weights_file: str | None = None
    early_stopping: dict[str, Any] = field(default_factory=dict)  # wait, best, best_epoch (0-based)
    best: dict[str, Any] = field(default_factory=dict)  # value and 1-based epoch of the best
    train_seconds: float = 0.0


class Checkpoints:
    """The `checkpoint/` folder of one run."""

    def __init__(self, run_dir: Path) -> None:
        self.folder = run_dir / "checkpoint"
        self.state_path = self.folder / "state.json"

    def load(self) -> CheckpointState | None:
        if not self.state_path.exists():
            return None
        state = CheckpointState(**json.loads(self.state_path.read_text()))
        if not (self.folder / state.model_file).exists():
            return None
        return state

    def model_path(self, state: CheckpointState) -> Path:
        return self.folder / state.model_file

    def best_weights_path(self, state: CheckpointState) -> Path | None:
        if state.best_weights_file is None:
            return None
        path = self.folder / state.best_weights_file
        return path if path.exists() else None

    def save(self, model: Any, state: CheckpointState, best_weights: list[Any] | None) -> Path:
        """Write the model (with optimizer) and, if given, the best weights; then the state.

        If anything fails (a full disk, most often), this epoch's files are removed again and
        the error raised: the previous checkpoint stays whole and nothing half-written is left.
        """
        self.folder.mkdir(parents=True, exist_ok=True)
        previous = self.load()
        state.model_file = f"epoch-{state.completed_epochs:04d}.keras"
        written = [self.folder / state.model_file]
        temporary = self.state_path.with_suffix(".tmp")
        try:
            model.save(self.folder / state.model_file)
            if best_weights is not None:
                state.best_weights_file = f"best-{state.completed_epochs:04d}.weights.h5"
                written.append(self.folder / state.best_weights_file)
                current = model.get_weights()
                model.set_weights(best_weights)
                try:
                    model.save_weights(self.folder / state.best_weights_file)
                finally:
                    model.set_weights(current)
            elif previous is not None:
                state.best_weights_file = previous.best_weights_file
            written.append(temporary)
            temporary.write_text(json.dumps(asdict(state), indent=2))
            os.replace(temporary, self.state_path)
        except BaseException:
            keep = set() if previous is None else {previous.model_file, previous.best_weights_file}
            for path in written:
                if path.name not in keep:
                    path.unlink(missing_ok=True)
            raise
        self._remove_all_but(state)
        return self.folder / state.model_file

    def _remove_all_but(self, state: CheckpointState) -> None:
        keep = {state.model_file, state.best_weights_file, self.state_path.name}
        for path in self.folder.iterdir():
            if path.name not in keep:
                path.unlink(missing_ok=True)
