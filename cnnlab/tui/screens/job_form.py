"""The new training job form (a modal): every field checked as it is typed, the dataset
checked in a worker, the parameter count fetched in a worker, the equivalent CLI shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from cnnlab.engine.plan import DataCheck, check_data
from cnnlab.tui.job_fields import (
    CHOICES,
    FIELDS,
    build_spec,
    command_line,
    model_choices,
    parse_fields,
    values_from_spec,
)
from cnnlab.tui.screens.base import WorkerReports, WorkerResult


@dataclass
class DatasetChecked(WorkerResult, bubble=False):
    """The dataset field's text, checked as `cnnlab train` checks it."""

    check: DataCheck


@dataclass
class ParamsCounted(WorkerResult, bubble=False):
    """The chosen model's parameter count (None: not counted here)."""

    total: int | None


@dataclass
class JobSubmitted(WorkerResult, bubble=False):
    """The queued experiment's id, or the errors by field that refused it."""

    errors: dict[str, str]
    experiment_id: int | None


class JobForm(WorkerReports, ModalScreen[int | None]):
    """Returns the new experiment's id, or None when cancelled."""

    CSS_PATH = "job_form.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "submit", "Submit"),
    ]

    def __init__(self, spec: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        self.initial = values_from_spec(spec or {})
        self.errors: dict[str, str] = {}
        self.dataset: DataCheck | None = None
        self.clone = spec is not None
        self.lab_models: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        from cnnlab.config import load_config
        from cnnlab.errors import CnnlabError

        try:
            self.lab_models = load_config(self.lab.store.path).models
        except CnnlabError:
            self.lab_models = {}  # a broken cnnlab.toml is the CLI's to report; the zoo still
        choices = {
            **CHOICES,
            "model": model_choices(self.lab_models, self.initial.get("model", "")),
        }
        with Vertical(id="dialog"):
            yield Static("Clone with edits" if self.clone else "New training job", id="title")
            with VerticalScroll(id="fields"):
                for field in FIELDS:
                    with Horizontal(classes="field"):
                        yield Label(field.label, classes="label")
                        if field.name in choices:
                            yield Select(
                                [(name, name) for name in choices[field.name]],
                                value=self.initial[field.name],
                                allow_blank=False,
                                compact=True,
                                id=field.name,
                            )
                        else:
                            yield Input(
                                self.initial[field.name],
                                placeholder=field.placeholder,
                                compact=True,
                                id=field.name,
                            )
                    yield Static(classes="field-error", id=f"{field.name}-error")
                    if field.name == "model":
                        yield Static(id="model-info", classes="hint")
                    if field.name == "data":
                        yield Static(id="data-info", classes="hint")
            yield Static(id="command")
            with Horizontal(id="buttons"):
                yield Static(id="form-error")
                yield Button("Submit (ctrl+s)", variant="primary", id="submit")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#data", Input).focus()
        self.refresh_form()
        self.check_dataset(self.initial["data"])

    def values(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for field in FIELDS:
            widget = self.query_one(f"#{field.name}")
            if isinstance(widget, Select):
                values[field.name] = str(widget.value)
            else:
                assert isinstance(widget, Input)
                values[field.name] = widget.value
        return values

    def refresh_form(self) -> None:
        """Re-check every field but the dataset (checked in a worker) and redraw the hints."""
        values = self.values()
        # The dataset is checked in a worker; a stand-in lets the other fields be checked
        # against the spec's rules meanwhile.
        _, self.errors = parse_fields(
            {**values, "data": values["data"].strip() or "?"}, self.lab_models
        )
        self.errors.pop("data", None)
        if self.dataset is not None and not self.dataset.ok:
            self.errors["data"] = self.dataset.message
        for field in FIELDS:
            message = self.errors.get(field.name, "")
            self.query_one(f"#{field.name}-error", Static).update(message)
            self.query_one(f"#{field.name}-error").set_class(bool(message), "-shown")
            self.query_one(f"#{field.name}").set_class(bool(message), "-invalid")
        self.query_one("#command", Static).update(Text("$ " + command_line(values), style="dim"))
        self.query_one("#submit", Button).disabled = bool(self.errors) or self.dataset is None
        self.show_model_info(values)

    def show_model_info(self, values: dict[str, str]) -> None:
        from cnnlab.models import MODEL_SPECS

        spec = next((s for s in MODEL_SPECS if s.name == values["model"]), None)
        if spec is None:
            reference = self.lab_models.get(values["model"], values["model"])
            self.query_one("#model-info", Static).update(
                Text(f"your own: {reference}; built and checked when submitted", style="dim")
            )
            return
        from cnnlab.models.defaults import training_defaults

        defaults = training_defaults(spec.name)
        info = Text(
            f"{spec.summary}; default input {spec.default_input}. From scratch: lr "
            f"{defaults.lr:g}, batch {defaults.batch}, patience {defaults.patience}, BN momentum "
            f"{defaults.bn_momentum if defaults.bn_momentum is not None else 'its own'} "
            f"({defaults.why})",
            style="dim",
        )
        self.query_one("#model-info", Static).update(info)
        # An empty field means the model's default: say which, in the field itself.
        shown = {
            "batch": str(defaults.batch),
            "lr": f"{defaults.lr:g}",
            "patience": "none" if defaults.patience is None else str(defaults.patience),
            "bn_momentum": "its own" if defaults.bn_momentum is None else f"{defaults.bn_momentum}",
            "bn_recalibration": "off"
            if defaults.bn_recalibration is None
            else f"{defaults.bn_recalibration} batches",
        }
        for name, text in shown.items():
            off = next(p.off for p in FIELDS if p.name == name)
            hint = "" if off is None else f"; {off}: off"
            self.query_one(f"#{name}", Input).placeholder = f"{text} (model's{hint})"
        if self.lab.count_params is not None and "input" not in self.errors:
            classes = self.dataset.classes if self.dataset and self.dataset.classes else None
            self.count_params(values["model"], values["input"], classes, values["width"])

    @on(Input.Changed)
    @on(Select.Changed)
    def changed(self, event: Input.Changed | Select.Changed) -> None:
        if event.control.id == "data":
            self.dataset = None
            self.check_dataset(str(event.value))
        self.refresh_form()

    @work(thread=True, exclusive=True, exit_on_error=False, group="dataset", description="data")
    def check_dataset(self, text: str) -> DatasetChecked:
        return DatasetChecked(check_data(text))

    @work(thread=True, exclusive=True, exit_on_error=False, group="params", description="params")
    def count_params(
        self, model: str, input_text: str, classes: int | None, width: str
    ) -> ParamsCounted:
        counter = self.lab.count_params
        if counter is None:
            return ParamsCounted(None)
        try:
            scale = float(width)
        except ValueError:
            scale = 1.0
        total = counter(model, int(input_text) if input_text.strip() else None, classes, scale)
        return ParamsCounted(total)

    @on(DatasetChecked)
    def dataset_checked(self, message: DatasetChecked) -> None:
        self.dataset = message.check
        # A problem shows as the field's error; the info line says what was found.
        info = Text(message.check.message, style="green") if message.check.ok else ""
        self.query_one("#data-info", Static).update(info)
        self.refresh_form()

    @on(ParamsCounted)
    def params_counted(self, message: ParamsCounted) -> None:
        if message.total is not None:
            text = Text(f"{message.total:,} parameters", style="bold")
            self.query_one("#model-info", Static).update(text)

    @on(JobSubmitted)
    def job_submitted(self, message: JobSubmitted) -> None:
        if message.errors:
            self.query_one("#form-error", Static).update(
                Text(" ".join(message.errors.values()), style="red")
            )
        else:
            self.dismiss(message.experiment_id)

    @on(Button.Pressed, "#submit")
    def action_submit(self) -> None:
        self.refresh_form()
        if self.errors or self.dataset is None:
            first = next(iter(self.errors), "data")
            self.query_one(f"#{first}").focus()
            self.query_one("#form-error", Static).update(
                Text("Fix the marked fields first.", style="red")
            )
            return
        self.submit(self.values())

    @work(thread=True, exclusive=True, exit_on_error=False, group="submit", description="submit")
    def submit(self, values: dict[str, str]) -> JobSubmitted:
        spec, errors = build_spec(values, self.lab_models)
        if spec is None:
            return JobSubmitted(errors, None)
        return JobSubmitted({}, self.lab.submit_job(self.lab.store, spec))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
