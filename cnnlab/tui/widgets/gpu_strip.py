"""A strip with one line per GPU (utilisation, memory, which experiment holds it); hidden, and
taking no space, when NVML reports no GPUs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import work
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from cnnlab.tui.gpu import GpuReading, read_gpus
from cnnlab.tui.text import step_bar

if TYPE_CHECKING:
    from cnnlab.tui.app import CnnlabApp

GPU_POLL_S = 2.0


class GpuStrip(Static):
    """Polls NVML every two seconds; removes itself from the layout when there is nothing."""

    DEFAULT_CSS = """
    GpuStrip {
        height: auto;
        max-height: 4;
        padding: 0 1;
        background: $boost;
        display: none;
    }
    """

    def __init__(self, *, enabled: bool = True) -> None:
        super().__init__()
        self.enabled = enabled

    def on_mount(self) -> None:
        if self.enabled:
            self.read()

    @work(thread=True, exclusive=True, exit_on_error=False, group="gpus", description="NVML")
    def read(self) -> tuple[list[GpuReading], dict[int, int]] | None:
        readings = read_gpus()
        if not readings:
            return None
        store = cast("CnnlabApp", self.app).store
        rows = store.read("SELECT id, pid FROM experiments WHERE status = 'running'")
        return readings, {row[1]: row[0] for row in rows if row[1] is not None}

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        event.stop()
        if event.state == WorkerState.SUCCESS:
            result = event.worker.result
            if result is None:
                self.display = False
                return  # no NVML: stop polling for good
            self.display = True
            self.update(self.render_readings(*result))
            self.set_timer(GPU_POLL_S, self.read)
        elif event.state == WorkerState.ERROR:
            self.display = False

    @staticmethod
    def render_readings(readings: list[GpuReading], jobs: dict[int, int]) -> Text:
        lines = []
        for gpu in readings:
            line = Text(f"GPU{gpu.index} ", style="bold")
            line.append(f"{gpu.name[:18]:<18} ")
            line.append(step_bar(gpu.utilization, 100), style="green")
            line.append(f" {gpu.utilization:3d}%  ")
            line.append(f"{gpu.memory_used / 2**30:.1f}/{gpu.memory_total / 2**30:.0f} GiB  ")
            held = sorted({jobs[pid] for pid in gpu.pids if pid in jobs})
            line.append(" ".join(f"#{i}" for i in held) or "idle", style="cyan")
            lines.append(line)
        return Text("\n").join(lines)
