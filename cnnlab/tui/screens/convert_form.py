"""The convert form (a modal): TFLite modes to make from one experiment and the converter
options, checked as they change, queued through the engine's `submit_conversions` in a worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, SelectionList, Static

from cnnlab.engine import CONVERT_MODES, ConvertSpec, conversion_specs
from cnnlab.engine.params import (
    CONVERT_PARAMS,
    Param,
    Request,
    default_text,
    field_errors,
)
from cnnlab.errors import CnnlabError
from cnnlab.tui.screens.base import Queued, QueuesJobs, WorkerReports

NO_OPTIMIZATION = "none"  # the Select's entry for "no --optimize"
PARAMS = {p.name: p for p in CONVERT_PARAMS}
FLAGS = tuple(p.name for p in CONVERT_PARAMS if p.type is bool)
TEXT_INPUTS = ("calibration", "data", "name")


@dataclass(frozen=True)
class ConvertRequest(Request):
    """What the form asks `submit_conversions` for: an experiment, modes and the options."""

    params = CONVERT_PARAMS
    spec_class = ConvertSpec

    experiment_id: int = 0
    modes: tuple[str, ...] = ()

    def leading(self) -> list[str]:
        return ["convert", str(self.experiment_id), "--mode", ",".join(self.modes)]


def check_convert(
    experiment_id: int, values: dict[str, Any]
) -> tuple[ConvertRequest | None, dict[str, str]]:
    """The request the values make, or per field the sentence the specs refuse it with."""
    errors: dict[str, str] = {}
    modes = tuple(values["modes"])
    if not modes:
        errors["modes"] = "Choose at least one mode."
    given = dict(values)
    if given.get("optimize") == NO_OPTIMIZATION:
        given["optimize"] = ""

    def build(options: dict[str, Any]) -> list[ConvertSpec]:
        return conversion_specs(experiment_id, list(modes) or ["float"], **options)

    parsed, problems = field_errors(CONVERT_PARAMS, ConvertSpec, given, build)
    errors = {**problems, **errors}
    if errors:
        return None, errors
    return ConvertRequest(tuple(parsed.items()), experiment_id, modes), {}


def submit_request(store: Any, request: ConvertRequest) -> list[int]:
    from cnnlab.engine import submit_conversions

    return submit_conversions(
        store, request.experiment_id, list(request.modes), **request.options()
    )


class ConvertForm(QueuesJobs, WorkerReports, ModalScreen[list[int] | None]):
    """Returns the ids of the queued conversion jobs, or None when cancelled."""

    CSS_PATH = "convert_form.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "submit", "Submit"),
    ]

    def __init__(self, experiment_id: int, title: str = "") -> None:
        super().__init__()
        self.experiment_id = experiment_id
        self.title_text = title
        self.errors: dict[str, str] = {}
        self.request: ConvertRequest | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(
                f"Convert #{self.experiment_id} {self.title_text} to TFLite".replace("  ", " "),
                id="title",
            )
            with Horizontal(classes="field tall"):
                yield Label("Modes", classes="label")
                yield SelectionList[str](
                    *((mode, mode, mode == "float") for mode in CONVERT_MODES),
                    id="modes",
                    compact=True,
                )
            yield Static(classes="field-error", id="modes-error")
            with Horizontal(classes="field"):
                yield Label(PARAMS["optimize"].label, classes="label")
                yield Select(
                    [
                        (NO_OPTIMIZATION, NO_OPTIMIZATION),
                        *((o, o) for o in PARAMS["optimize"].choices),
                    ],
                    value=NO_OPTIMIZATION,
                    allow_blank=False,
                    compact=True,
                    id="optimize",
                )
            yield Static(classes="field-error", id="optimize-error")
            yield from self._text_field(PARAMS["calibration"])
            for flag in FLAGS:
                yield Checkbox(PARAMS[flag].label, id=flag, compact=True)
                yield Static(classes="field-error", id=f"{flag}-error")
            yield from self._text_field(PARAMS["data"])
            yield from self._text_field(PARAMS["name"])
            yield Static(id="command")
            with Horizontal(id="buttons"):
                yield Static(id="form-error")
                yield Button("Convert (ctrl+s)", variant="primary", id="submit")
                yield Button("Cancel", id="cancel")

    def _text_field(self, param: Param) -> ComposeResult:
        with Horizontal(classes="field"):
            yield Label(param.label, classes="label")
            yield Input(
                default_text(ConvertSpec, param),
                placeholder=param.placeholder,
                compact=True,
                id=param.name,
            )
        yield Static(classes="field-error", id=f"{param.name}-error")

    def on_mount(self) -> None:
        self.query_one("#modes", SelectionList).focus()
        self.refresh_form()

    def values(self) -> dict[str, Any]:
        modes_list: SelectionList[str] = self.query_one("#modes", SelectionList)
        order = [
            str(modes_list.get_option_at_index(i).value) for i in range(modes_list.option_count)
        ]
        chosen = set(modes_list.selected)
        values: dict[str, Any] = {
            "modes": [mode for mode in order if mode in chosen],
            "optimize": self.query_one("#optimize", Select).value,
        }
        for name in TEXT_INPUTS:
            values[name] = self.query_one(f"#{name}", Input).value
        for flag in FLAGS:
            values[flag] = self.query_one(f"#{flag}", Checkbox).value
        return values

    def refresh_form(self) -> None:
        self.request, self.errors = check_convert(self.experiment_id, self.values())
        command = self.request.command_line() if self.request else None
        self.show_checked(command, self.errors, ("modes", "optimize", *TEXT_INPUTS, *FLAGS))

    @on(Input.Changed)
    @on(Select.Changed)
    @on(Checkbox.Changed)
    @on(SelectionList.SelectedChanged)
    def changed(self) -> None:
        self.refresh_form()

    @on(Button.Pressed, "#submit")
    def action_submit(self) -> None:
        self.refresh_form()
        self.say_form_state(self.request is not None)
        if self.request is not None:
            self.submit(self.request)

    @work(thread=True, exclusive=True, exit_on_error=False, group="submit", description="convert")
    def submit(self, request: ConvertRequest) -> Queued:
        try:
            return Queued(submit_request(self.lab.store, request))
        except CnnlabError as exc:  # refused by the engine (no model yet, ...): say why here
            return Queued([], refusal=str(exc))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
