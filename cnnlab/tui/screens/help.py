"""The help screen: every screen's keys (read from their bindings, so never stale) and the
filter language.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen
from textual.widgets import Markdown

from cnnlab.tui.filter import FILTER_HELP


def keys_markdown() -> str:
    from cnnlab.tui.app import CnnlabApp
    from cnnlab.tui.screens.bench_form import BenchForm
    from cnnlab.tui.screens.compare import CompareScreen
    from cnnlab.tui.screens.convert_form import ConvertForm
    from cnnlab.tui.screens.devices import DevicesScreen
    from cnnlab.tui.screens.experiment import ExperimentScreen
    from cnnlab.tui.screens.experiments import ExperimentsScreen
    from cnnlab.tui.screens.job_form import JobForm
    from cnnlab.tui.screens.latency import LatencyScreen
    from cnnlab.tui.screens.queue import QueueScreen

    parts = []
    screens: tuple[tuple[str, Any], ...] = (
        ("Experiments", ExperimentsScreen),
        ("Experiment", ExperimentScreen),
        ("Compare", CompareScreen),
        ("New job form", JobForm),
        ("Convert form", ConvertForm),
        ("Bench form", BenchForm),
        ("Devices", DevicesScreen),
        ("Latency", LatencyScreen),
        ("Queue", QueueScreen),
        ("Everywhere", CnnlabApp),
    )
    for title, screen in screens:
        rows = []
        for binding in screen.BINDINGS:
            if isinstance(binding, Binding) and binding.description:
                key = binding.key_display or binding.key
                rows.append(f"| `{key}` | {binding.description} |")
        parts.append(f"### {title}\n\n| Key | Action |\n|---|---|\n" + "\n".join(rows))
    return "\n\n".join(parts)


class HelpScreen(ModalScreen[None]):
    """Keys of every screen and the `/` filter language."""

    CSS_PATH = "help.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "app.pop_screen", "Close")
    ]

    def compose(self) -> ComposeResult:
        text = (
            "# cnnlab\n\nEverywhere: `ctrl+p` command palette (every action, and themes), "
            "`?` this help, `escape` back. Enter opens the experiment under the cursor "
            "(or folds a group).\n\n"
            f"{keys_markdown()}\n\n## Filter language (`/`)\n\nTerms combine with AND.\n\n"
            f"{FILTER_HELP}\n\nExample: `status:running model:mobilenet* acc>0.9 name:~fruit`\n"
        )
        yield Markdown(text, id="help")
