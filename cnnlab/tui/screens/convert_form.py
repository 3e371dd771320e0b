"""The convert form (a modal): TFLite modes to make from one experiment and the converter
options, checked as they change, queued through the engine's `submit_conversions` in a worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, SelectionList, Static

from cnnlab.errors import CnnlabError
from cnnlab.tui.screens.base import WorkerReports

NO_OPTIMIZATION = "none"
FLAGS = ("int8_io", "select_tf_ops", "float_fallback")


@dataclass(frozen=True)
class ConvertRequest:
    """What the form asks `submit_conversions` for."""

    experiment_id: int
    modes: tuple[str, ...]
    optimize: str | None = None
    calibration: int = 100
    int8_io: bool = False
    select_tf_ops: bool = False
    float_fallback: bool = False
    data: str | None = None
    name: str = ""

    def command_line(self) -> str:
        parts = ["cnnlab", "convert", str(self.experiment_id), "--mode", ",".join(self.modes)]
        if self.optimize:
            parts += ["--optimize", self.optimize]
        if self.calibration != 100:
            parts += ["--calibration", str(self.calibration)]
        parts += [f"--{flag.replace('_', '-')}" for flag in FLAGS if getattr(self, flag)]
        if self.data:
            parts += ["--data", self.data]
        if self.name:
            parts += ["--name", repr(self.name) if " " in self.name else self.name]
        return " ".join(parts)


def check_convert(
    experiment_id: int, values: dict[str, Any]
) -> tuple[ConvertRequest | None, dict[str, str]]:
    """The request the values make, or a sentence per field that is wrong."""
    errors: dict[str, str] = {}
    modes = tuple(values["modes"])
    optimize = None if values["optimize"] == NO_OPTIMIZATION else str(values["optimize"])
    if not modes:
        errors["modes"] = "Choose at least one mode."
    if optimize and modes == ("float",):
        errors["optimize"] = f"{optimize} quantizes the weights, which float mode never does."
    calibration = 100
    text = str(values["calibration"]).strip()
    try:
        calibration = int(text)
        if calibration < 1:
            errors["calibration"] = "At least 1 image; 100-500 is usual."
    except ValueError:
        errors["calibration"] = f"A whole number of images, not {text!r}."
    for flag in ("int8_io", "float_fallback"):
        if values[flag] and "int8" not in modes:
            errors[flag] = "Only applies to int8 mode: tick int8 above."
    if errors:
        return None, errors
    request = ConvertRequest(
        experiment_id,
        modes,
        optimize,
        calibration,
        bool(values["int8_io"]),
        bool(values["select_tf_ops"]),
        bool(values["float_fallback"]),
        str(values["data"]).strip() or None,
        str(values["name"]).strip(),
    )
    return request, {}


def submit_request(store: Any, request: ConvertRequest) -> list[int]:
    from cnnlab.engine.convert_submit import submit_conversions

    return submit_conversions(
        store,
        request.experiment_id,
        list(request.modes),
        optimize=request.optimize,
        calibration=request.calibration,
        int8_io=request.int8_io,
        select_tf_ops=request.select_tf_ops,
        float_fallback=request.float_fallback,
        data=request.data,
        name=request.name,
    )


class ConvertForm(WorkerReports, ModalScreen[list[int] | None]):
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
        from cnnlab.engine.convert_spec import MODES, OPTIMIZATIONS

        with Vertical(id="dialog"):
            yield Static(
                f"Convert #{self.experiment_id} {self.title_text} to TFLite".replace("  ", " "),
                id="title",
            )
            with Horizontal(classes="field tall"):
                yield Label("Modes", classes="label")
                yield SelectionList[str](
                    *((mode, mode, mode == "float") for mode in MODES), id="modes", compact=True
                )
            yield Static(classes="field-error", id="modes-error")
            with Horizontal(classes="field"):
                yield Label("Optimize", classes="label")
                yield Select(
                    [(NO_OPTIMIZATION, NO_OPTIMIZATION), *((o, o) for o in OPTIMIZATIONS)],
                    value=NO_OPTIMIZATION,
                    allow_blank=False,
                    compact=True,
                    id="optimize",
                )
            yield Static(classes="field-error", id="optimize-error")
            with Horizontal(classes="field"):
                yield Label("Calibration", classes="label")
                yield Input("100", placeholder="images (int8)", compact=True, id="calibration")
            yield Static(classes="field-error", id="calibration-error")
            for flag, label in (
                ("int8_io", "int8 input and output"),
                ("select_tf_ops", "select TF ops (Flex) for ops without a TFLite kernel"),
                ("float_fallback", "float fallback for ops without an int8 kernel"),
            ):
                yield Checkbox(label, id=flag, compact=True)
                yield Static(classes="field-error", id=f"{flag}-error")
            with Horizontal(classes="field"):
                yield Label("Data", classes="label")
                yield Input(placeholder="the experiment's own dataset", compact=True, id="data")
            with Horizontal(classes="field"):
                yield Label("Name", classes="label")
                yield Input(placeholder="default: model and mode", compact=True, id="name")
            yield Static(id="command")
            with Horizontal(id="buttons"):
                yield Static(id="form-error")
                yield Button("Convert (ctrl+s)", variant="primary", id="submit")
                yield Button("Cancel", id="cancel")

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
        for name in ("calibration", "data", "name"):
            values[name] = self.query_one(f"#{name}", Input).value
        for flag in FLAGS:
            values[flag] = self.query_one(f"#{flag}", Checkbox).value
        return values

    def refresh_form(self) -> None:
        self.request, self.errors = check_convert(self.experiment_id, self.values())
        for name in ("modes", "optimize", "calibration", *FLAGS):
            message = self.errors.get(name, "")
            self.query_one(f"#{name}-error", Static).update(message)
            self.query_one(f"#{name}-error").set_class(bool(message), "-shown")
            self.query_one(f"#{name}").set_class(bool(message), "-invalid")
        command = self.request.command_line() if self.request else ""
        self.query_one("#command", Static).update(Text("$ " + command, style="dim"))
        self.query_one("#submit", Button).disabled = self.request is None

    @on(Input.Changed)
    @on(Select.Changed)
    @on(Checkbox.Changed)
    @on(SelectionList.SelectedChanged)
    def changed(self) -> None:
        self.refresh_form()

    @on(Button.Pressed, "#submit")
    def action_submit(self) -> None:
        self.refresh_form()
        if self.request is None:
            self.query_one("#form-error", Static).update(
                Text("Fix the marked fields first.", style="red")
            )
            return
        self.submit(self.request)

    @work(thread=True, exclusive=True, exit_on_error=False, group="submit", description="convert")
    def submit(self, request: ConvertRequest) -> tuple[str, list[int]]:
        try:
            return "", submit_request(self.lab.store, request)
        except CnnlabError as exc:  # refused by the engine (no model yet, ...): say why here
            return str(exc), []

    def worker_done(self, group: str, result: Any) -> None:
        if group == "submit":
            refusal, ids = result
            if refusal:
                self.query_one("#form-error", Static).update(Text(refusal, style="red"))
            else:
                self.dismiss(ids)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
