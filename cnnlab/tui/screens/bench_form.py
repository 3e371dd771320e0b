"""The benchmark form (a modal): which TFLite models, on which devices, how many runs; queued
through the engine's `plan_bench` and `submit_bench` in a worker (`all` asks adb there too). Its
options are the engine's declared `BENCH_PARAMS` and every message is `BenchSpec`'s own, tied to
its field by checking one field at a time (it used to guess the field from the message).
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
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from cnnlab.engine import BenchSpec
from cnnlab.engine.params import (
    BENCH_PARAMS,
    Request,
    default_text,
    field_errors,
    spec_default,
)
from cnnlab.errors import CnnlabError
from cnnlab.store import Store
from cnnlab.tui.screens.base import Queued, QueuesJobs, WorkerReports, WorkerResult

# The benchmark's own arguments, then its options as the engine declares them.
ARGUMENT_FIELDS = (
    ("target", "Target", "experiment id, or artifact:ID"),
    ("devices", "Devices", "host, serials separated by commas, or all"),
)
TEXT_PARAMS = tuple(p for p in BENCH_PARAMS if p.type is not bool and not p.choices)
TEXT_FIELDS = (*ARGUMENT_FIELDS, *((p.name, p.label, p.placeholder) for p in TEXT_PARAMS))
FLAG_PARAMS = tuple(p for p in BENCH_PARAMS if p.type is bool and p.label)


@dataclass(frozen=True)
class BenchRequest(Request):
    """What the form asks `plan_bench` for: a target, devices and the spec's options."""

    params = BENCH_PARAMS
    spec_class = BenchSpec

    target: str = ""
    devices: tuple[str, ...] = ()

    def leading(self) -> list[str]:
        return ["bench", self.target, "--device", ",".join(self.devices)]


def check_bench(values: dict[str, Any]) -> tuple[BenchRequest | None, dict[str, str]]:
    """The request the values make, or a sentence per field that is wrong (the spec's)."""
    errors: dict[str, str] = {}
    target = str(values["target"]).strip()
    if not target:
        errors["target"] = "Name an experiment id or artifact:ID."
    devices = tuple(d.strip() for d in str(values["devices"]).split(",") if d.strip())
    if not devices:
        errors["devices"] = "Name host, a serial, or all."
    valid = []
    for device in devices:
        try:
            BenchSpec(artifact_id=1, device=device)
            valid.append(device)
        except CnnlabError as exc:
            errors["devices"] = str(exc)
    # The options are checked against the first device (the host takes no GPU delegate).
    first = next((d for d in valid if d != "all"), "host")

    def build(given: dict[str, Any]) -> BenchSpec:
        from cnnlab.engine import options_for

        return BenchSpec(artifact_id=1, device=first, **options_for(given, first))

    parsed, field_problems = field_errors(BENCH_PARAMS, BenchSpec, values, build)
    errors = {**field_problems, **errors}
    if errors:
        return None, errors
    from cnnlab.engine import options_for

    hosts = [d for d in devices if d in ("host", "all")]
    if parsed.get("allow_busy") and not hosts:  # the host's own option: refused on phones only
        try:
            BenchSpec(artifact_id=1, device=devices[0], **parsed)
        except CnnlabError as exc:
            return None, {"allow_busy": str(exc)}
    for given in devices:  # each device with these options (the host takes no GPU delegate)
        device = given if given != "all" else "host"
        try:
            BenchSpec(artifact_id=1, device=device, **options_for(parsed, device))
        except CnnlabError as exc:
            return None, {"devices": str(exc)}
    return BenchRequest(tuple(parsed.items()), target, devices), {}


def submit_request(store: Store, request: BenchRequest) -> list[int]:
    """Plan and queue the benchmarks; `all` is the host and every phone adb says is ready."""
    from cnnlab.engine import expand_devices, plan_bench, submit_bench

    devices = expand_devices(store, list(request.devices))
    plans = plan_bench(store, request.target, devices, **request.options())
    return submit_bench(store, plans)


@dataclass
class KnownDevices(WorkerResult, bubble=False):
    """The phones the store has seen, for the devices hint."""

    serials: list[str]


class BenchForm(QueuesJobs, WorkerReports, ModalScreen[list[int] | None]):
    """Returns the ids of the queued benchmark jobs, or None when cancelled."""

    CSS_PATH = "bench_form.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "submit", "Submit"),
    ]

    def __init__(self, target: str, devices: str = "host") -> None:
        super().__init__()
        self.initial = {
            "target": target,
            "devices": devices,
            **{p.name: default_text(BenchSpec, p) for p in TEXT_PARAMS},
        }
        self.errors: dict[str, str] = {}
        self.request: BenchRequest | None = None

    def compose(self) -> ComposeResult:
        delegate = next(p for p in BENCH_PARAMS if p.name == "delegate")
        with Vertical(id="dialog"):
            yield Static("Benchmark TFLite models", id="title")
            for name, label, placeholder in TEXT_FIELDS:
                with Horizontal(classes="field"):
                    yield Label(label, classes="label")
                    yield Input(self.initial[name], placeholder=placeholder, compact=True, id=name)
                yield Static(classes="field-error", id=f"{name}-error")
                if name == "devices":
                    yield Static(id="devices-info", classes="hint")
            with Horizontal(classes="field"):
                yield Label(delegate.label, classes="label")
                yield Select(
                    [(d, d) for d in delegate.choices],
                    value=default_text(BenchSpec, delegate),
                    allow_blank=False,
                    compact=True,
                    id="delegate",
                )
            yield Static(classes="field-error", id="delegate-error")
            for flag in FLAG_PARAMS:
                yield Checkbox(flag.label, value=bool(spec_default(BenchSpec, flag)), id=flag.name)
                yield Static(classes="field-error", id=f"{flag.name}-error")
            yield Static(id="command")
            with Horizontal(id="buttons"):
                yield Static(id="form-error")
                yield Button("Benchmark (ctrl+s)", variant="primary", id="submit")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#devices", Input).focus()
        self.refresh_form()
        self.known_devices()

    def values(self) -> dict[str, Any]:
        values: dict[str, Any] = {
            name: self.query_one(f"#{name}", Input).value for name, _l, _p in TEXT_FIELDS
        }
        values["delegate"] = self.query_one("#delegate", Select).value
        for flag in FLAG_PARAMS:
            values[flag.name] = self.query_one(f"#{flag.name}", Checkbox).value
        return values

    def refresh_form(self) -> None:
        self.request, self.errors = check_bench(self.values())
        command = self.request.command_line() if self.request else None
        fields = (*(f for f, _l, _p in TEXT_FIELDS), "delegate", *(p.name for p in FLAG_PARAMS))
        self.show_checked(command, self.errors, fields)

    @on(Input.Changed)
    @on(Select.Changed)
    @on(Checkbox.Changed)
    def changed(self) -> None:
        self.refresh_form()

    @work(thread=True, exclusive=True, exit_on_error=False, group="known", description="devices")
    def known_devices(self) -> KnownDevices:
        """Devices the store has seen (no adb here: opening the form must stay instant)."""
        from cnnlab.store import list_devices

        return KnownDevices([d.serial for d in list_devices(self.lab.store) if d.kind != "host"])

    @on(Button.Pressed, "#submit")
    def action_submit(self) -> None:
        self.refresh_form()
        self.say_form_state(self.request is not None)
        if self.request is not None:
            self.submit(self.request)

    @work(thread=True, exclusive=True, exit_on_error=False, group="submit", description="bench")
    def submit(self, request: BenchRequest) -> Queued:
        try:
            return Queued(submit_request(self.lab.store, request))
        except CnnlabError as exc:  # no TFLite model, unknown artifact, ...: say why here
            return Queued([], refusal=str(exc))

    @on(KnownDevices)
    def known(self, message: KnownDevices) -> None:
        phones = ", ".join(message.serials) if message.serials else "none seen yet (see Devices, D)"
        hint = Text(f"host, all, or a phone: {phones}", style="dim")
        self.query_one("#devices-info", Static).update(hint)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
