"""The benchmark form (a modal): which TFLite models, on which devices, how many runs; queued
through the engine's `plan_bench` and `submit_bench` in a worker (`all` asks adb there too).
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

from cnnlab.errors import CnnlabError
from cnnlab.store import Store
from cnnlab.tui.screens.base import WorkerReports

TEXT_FIELDS = (
    ("target", "Target", "experiment id, or artifact:ID"),
    ("devices", "Devices", "host, serials separated by commas, or all"),
    ("runs", "Runs", "timed runs (samples)"),
    ("warmup", "Warm-up", "discarded runs first"),
    ("threads", "Threads", "interpreter default"),
    ("cpu_mask", "CPU mask", "hex, e.g. f0 (phones)"),
)


@dataclass(frozen=True)
class BenchRequest:
    """What the form asks `plan_bench` for."""

    target: str
    devices: tuple[str, ...]
    runs: int = 100
    warmup: int = 10
    threads: int | None = None
    delegate: str = "cpu"
    cpu_mask: str | None = None
    cold: bool = False

    def options(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "warmup": self.warmup,
            "threads": self.threads,
            "delegate": self.delegate,
            "cpu_mask": self.cpu_mask,
            "cold": self.cold,
        }

    def command_line(self) -> str:
        parts = ["cnnlab", "bench", self.target, "--device", ",".join(self.devices)]
        parts += ["--runs", str(self.runs), "--warmup", str(self.warmup)]
        if self.threads:
            parts += ["--threads", str(self.threads)]
        if self.delegate != "cpu":
            parts += ["--delegate", self.delegate]
        if self.cpu_mask:
            parts += ["--cpu-mask", self.cpu_mask]
        if self.cold:
            parts.append("--cold")
        return " ".join(parts)


def _whole(text: str, errors: dict[str, str], field: str, least: int) -> int | None:
    text = text.strip()
    try:
        value = int(text)
    except ValueError:
        errors[field] = f"A whole number, not {text!r}."
        return None
    if value < least:
        errors[field] = f"At least {least}."
    return value


def check_bench(values: dict[str, Any]) -> tuple[BenchRequest | None, dict[str, str]]:
    """The request the values make, or a sentence per field that is wrong."""
    from cnnlab.engine.bench import BenchSpec

    errors: dict[str, str] = {}
    target = str(values["target"]).strip()
    if not target:
        errors["target"] = "Name an experiment id or artifact:ID."
    devices = tuple(d.strip() for d in str(values["devices"]).split(",") if d.strip())
    if not devices:
        errors["devices"] = "Name host, a serial, or all."
    runs = _whole(values["runs"], errors, "runs", 1)
    warmup = _whole(values["warmup"], errors, "warmup", 0)
    threads = None
    if str(values["threads"]).strip():
        threads = _whole(values["threads"], errors, "threads", 1)
    cpu_mask = str(values["cpu_mask"]).strip() or None
    if errors or runs is None or warmup is None:
        return None, errors
    request = BenchRequest(
        target,
        devices,
        runs,
        warmup,
        threads,
        str(values["delegate"]),
        cpu_mask,
        bool(values["cold"]),
    )
    for device in devices:
        try:
            BenchSpec(artifact_id=0, device=device, **request.options())
        except CnnlabError as exc:
            field = "cpu_mask" if "mask" in str(exc).lower() else "delegate"
            field = "devices" if "serial" in str(exc).lower() else field
            errors[field] = str(exc)
            return None, errors
    return request, {}


def submit_request(store: Store, request: BenchRequest) -> list[int]:
    """Plan and queue the benchmarks; `all` is the host and every phone adb says is ready."""
    from cnnlab.engine.bench import expand_devices, plan_bench, submit_bench

    devices = expand_devices(store, list(request.devices))
    plans = plan_bench(store, request.target, devices, **request.options())
    return submit_bench(store, plans)


class BenchForm(WorkerReports, ModalScreen[list[int] | None]):
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
            "runs": "100",
            "warmup": "10",
            "threads": "",
            "cpu_mask": "",
        }
        self.errors: dict[str, str] = {}
        self.request: BenchRequest | None = None

    def compose(self) -> ComposeResult:
        from cnnlab.engine.bench import DELEGATES

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
                yield Label("Delegate", classes="label")
                yield Select(
                    [(d, d) for d in DELEGATES],
                    value="cpu",
                    allow_blank=False,
                    compact=True,
                    id="delegate",
                )
            yield Static(classes="field-error", id="delegate-error")
            yield Checkbox("cold: each sample a fresh process, loading included", id="cold")
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
        values["cold"] = self.query_one("#cold", Checkbox).value
        return values

    def refresh_form(self) -> None:
        self.request, self.errors = check_bench(self.values())
        for name in (*(f for f, _l, _p in TEXT_FIELDS), "delegate"):
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
    def changed(self) -> None:
        self.refresh_form()

    @work(thread=True, exclusive=True, exit_on_error=False, group="known", description="devices")
    def known_devices(self) -> list[str]:
        """Devices the store has seen (no adb here: opening the form must stay instant)."""
        from cnnlab.store import list_devices

        return [d.serial for d in list_devices(self.lab.store) if d.kind != "host"]

    @on(Button.Pressed, "#submit")
    def action_submit(self) -> None:
        self.refresh_form()
        if self.request is None:
            self.query_one("#form-error", Static).update(
                Text("Fix the marked fields first.", style="red")
            )
            return
        self.query_one("#form-error", Static).update(Text("queueing…", style="dim"))
        self.submit(self.request)

    @work(thread=True, exclusive=True, exit_on_error=False, group="submit", description="bench")
    def submit(self, request: BenchRequest) -> tuple[str, list[int]]:
        try:
            return "", submit_request(self.lab.store, request)
        except CnnlabError as exc:  # no TFLite model, unknown artifact, ...: say why here
            return str(exc), []

    def worker_done(self, group: str, result: Any) -> None:
        if group == "known":
            phones = ", ".join(result) if result else "none seen yet (see Devices, D)"
            hint = Text(f"host, all, or a phone: {phones}", style="dim")
            self.query_one("#devices-info", Static).update(hint)
        elif group == "submit":
            refusal, ids = result
            if refusal:
                self.query_one("#form-error", Static).update(Text(refusal, style="red"))
            else:
                self.dismiss(ids)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
