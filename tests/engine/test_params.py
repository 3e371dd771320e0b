"""Each job parameter is declared once: the click option, the form field and the spec agree.

Walks every declared parameter through the real `cnnlab train` and `cnnlab transfer` commands
(click's own parser) and the TUI's training form fields, and submits the same requests through
the CLI's parser and the form's text to check they plan identical specs (issue 14, items 1-2).
No TensorFlow, no terminal.
"""

from __future__ import annotations

import dataclasses
import shlex
from pathlib import Path

import click
import pytest
from support.images import write_images

from cnnlab.cli.bench import bench_command
from cnnlab.cli.convert import convert_command, import_command
from cnnlab.cli.jobs import train_command, train_spec_from_options, transfer_command
from cnnlab.engine.params import (
    MODEL_DEFAULT,
    PARAMS,
    SHARED_TRAINING_PARAMS,
    SPEC_CLASSES,
    Param,
    default_text,
    parse_text,
    spec_default,
)
from cnnlab.engine.spec import ZOO_DEFAULTED
from cnnlab.tui import job_fields
from cnnlab.tui.screens import bench_form, convert_form

ALL = [(kind, p) for kind, params in PARAMS.items() for p in params]


def options_of(command: click.Command) -> dict[str, click.Option]:
    return {o.name: o for o in command.params if isinstance(o, click.Option) and o.name}


@pytest.mark.parametrize(("kind", "param"), ALL, ids=[f"{k}.{p.name}" for k, p in ALL])
def test_option_field_and_spec_agree(kind: str, param: Param) -> None:
    spec_class = SPEC_CLASSES[kind]
    spec_fields = {f.name: f for f in dataclasses.fields(spec_class)}
    assert param.name in spec_fields, f"{spec_class.__name__} has no field {param.name}"
    commands = {
        "train": train_command,
        "transfer": transfer_command,
        "import": import_command,
        "bench": bench_command,
        "convert": convert_command,
    }
    for command in [commands[kind]]:
        option = options_of(command)[param.name]
        default = option.get_default(click.Context(command))
        assert param.flag in option.opts
        assert option.help == param.help
        if param.type is bool:
            assert option.is_flag
            assert default is False and spec_default(spec_class, param) is False
            continue
        if param.choices:
            assert isinstance(option.type, click.Choice)
            assert tuple(option.type.choices) == param.choices
        else:
            expected = {int: click.INT, float: click.FLOAT, str: click.STRING}[param.type]
            assert option.type == expected
        if param.required:
            assert option.required
        elif param.name in ZOO_DEFAULTED:
            assert default is None
        else:
            assert default == spec_default(spec_class, param)
    if kind in ("transfer", "import"):
        # No form of their own yet (a transfer's shared parameters are the training form's,
        # checked as train's): their own parameters are on no form.
        assert param in SHARED_TRAINING_PARAMS or not param.label
        return
    if kind == "train":
        fields = {p.name for p in job_fields.FIELDS}
        initial = job_fields.values_from_spec({})
        choices = job_fields.CHOICES
    elif kind == "bench":  # text inputs, the delegate's Select and the flags' Checkboxes
        fields = {p.name for p in bench_form.TEXT_PARAMS} | {"delegate"}
        fields |= {p.name for p in bench_form.FLAG_PARAMS}
        initial = {p.name: default_text(spec_class, p) for p in bench_form.BENCH_PARAMS}
        choices = {p.name: p.choices for p in bench_form.BENCH_PARAMS if p.choices}
    else:  # convert: text inputs, the flags' Checkboxes and the optimisation's Select
        fields = {*convert_form.TEXT_INPUTS, *convert_form.FLAGS, "optimize"}
        initial = {p.name: default_text(spec_class, p) for p in convert_form.CONVERT_PARAMS}
        choices = {"optimize": convert_form.PARAMS["optimize"].choices}
    if param.label:
        # The form shows it, starting from the same default the option has.
        assert param.name in fields
        text = initial[param.name]
        if param.name in ZOO_DEFAULTED:
            assert parse_text(spec_class, param, text) is MODEL_DEFAULT
        elif not param.required and param.type is not bool:
            assert parse_text(spec_class, param, text) == spec_default(spec_class, param)
        if param.choices:
            assert choices[param.name] == param.choices
    else:
        assert param.name not in fields


def dataset(root: Path) -> Path:
    return write_images(root, ("apple", "pear"), per_class=16)


REQUESTS: list[dict[str, str]] = [
    {"model": "mobilenet_v2"},
    {"model": "alexnet", "epochs": "3", "patience": "-1", "monitor": "loss", "seed": "7"},
    {"model": "squeezenet", "lr": "0.01", "batch": "16", "input": "64", "name": "x y"},
    {"model": "mobilenet_v1", "bn_recalibration": "0", "bn_momentum": "0.99", "width": "0.5"},
    {"model": "efficientnet_b0", "val_split": "0.2", "optimizer": "sgd"},
]


@pytest.mark.parametrize("request_", REQUESTS, ids=lambda r: r["model"])
def test_the_cli_and_the_form_plan_the_same_spec(tmp_path: Path, request_: dict[str, str]) -> None:
    data = dataset(tmp_path / "fruits")
    wanted = {"data": str(data), **request_}
    argv = [arg for name, text in wanted.items() for arg in (f"--{name.replace('_', '-')}", text)]
    with train_command.make_context("train", argv) as ctx:
        from_cli = train_spec_from_options(dict(ctx.params))
    values = job_fields.values_from_spec({})
    values.update(wanted)
    from_form, errors = job_fields.build_spec(values)
    assert errors == {}
    assert from_form is not None
    assert from_form.to_dict() == from_cli.to_dict()
    # What the form shows as the equivalent command plans the same spec again.
    shown = shlex.split(job_fields.command_line(values))[2:]
    with train_command.make_context("train", shown) as ctx:
        assert train_spec_from_options(dict(ctx.params)).to_dict() == from_form.to_dict()


def test_form_errors_are_the_specs_and_name_their_field(tmp_path: Path) -> None:
    data = str(dataset(tmp_path))
    values = job_fields.values_from_spec({"model": "efficientnet_b0", "data": data})
    values |= {"lr": "11", "seed": "-1", "width": "2", "epochs": "x"}
    spec, errors = job_fields.build_spec(values)
    assert spec is None
    assert errors == {
        "lr": "The learning rate must be at most 10, got 11.0; 1e-4 to 1e-1 is usual.",
        "seed": "The seed must be at least 0, got -1.",
        "width": "efficientnet_b0 has no width multiplier; leave --width at 1.0 (got 2.0).",
        "epochs": "Epochs must be a whole number.",
    }


def test_bench_form_errors_are_the_specs_and_name_their_field() -> None:
    base: dict[str, str | bool] = {
        "target": "3", "devices": "host", "runs": "100", "warmup": "10", "threads": "",
        "cpu_mask": "", "delegate": "cpu", "cold": False, "require_full_delegation": False,
        "profile_ops": False, "allow_busy": False,
    }  # fmt: skip
    cases = {
        "cpu_mask": ({"cpu_mask": "zz"}, "CPU mask 'zz' is not hexadecimal; write it like f0."),
        "delegate": ({"delegate": "gpu"}, "The host runs the cpu or xnnpack delegate, not 'gpu'."),
        "runs": ({"runs": "0"}, "--runs must be at least 1, got 0."),
        "devices": ({"devices": "bad serial"}, "Device serial 'bad serial' is not valid."),
        "profile_ops": (
            {"profile_ops": True},
            "--profile-ops needs TFLite's benchmark_model, which runs on phones; the host bench "
            "uses LiteRT's Python interpreter, which has no op profiler. Give a phone's serial "
            "with --device.",
        ),
    }
    for field, (change, message) in cases.items():
        request, errors = bench_form.check_bench({**base, **change})
        assert request is None
        assert errors == {field: message}
    request, errors = bench_form.check_bench(
        {**base, "devices": "R58M41XYZ", "delegate": "gpu", "cold": True, "runs": "30"}
    )
    assert errors == {} and request is not None
    assert request.command_line() == (
        "cnnlab bench 3 --device R58M41XYZ --runs 30 --delegate gpu --cold"
    )
    with bench_command.make_context("bench", shlex.split(request.command_line())[2:]) as ctx:
        assert {k: ctx.params[k] for k in request.options()} == request.options()
    # --allow-busy is the host's own: with the host among the devices it is valid, on phones
    # alone it is refused beside its checkbox.
    request, errors = bench_form.check_bench(
        {**base, "devices": "host,R58M41XYZ", "allow_busy": True}
    )
    assert errors == {} and request is not None
    request, errors = bench_form.check_bench({**base, "devices": "R58M41XYZ", "allow_busy": True})
    assert request is None and list(errors) == ["allow_busy"]
    assert errors["allow_busy"].startswith("--allow-busy applies to host benches")


def test_convert_form_errors_are_the_specs_and_name_their_field() -> None:
    base: dict[str, object] = {
        "modes": ["float"], "optimize": convert_form.NO_OPTIMIZATION, "calibration": "100",
        "data": "", "name": "", "int8_io": False, "select_tf_ops": False,
        "float_fallback": False,
    }  # fmt: skip
    cases = {
        "int8_io": ({"int8_io": True}, "--int8-io needs --mode int8 (got 'float')."),
        "calibration": (
            {"calibration": "0"},
            "Calibration needs at least 1 image, got 0; 100-500 is usual.",
        ),
        "modes": ({"modes": []}, "Choose at least one mode."),
    }
    for field, (change, message) in cases.items():
        request, errors = convert_form.check_convert(5, {**base, **change})
        assert request is None
        assert errors == {field: message}
    _, errors = convert_form.check_convert(5, {**base, "optimize": "size"})
    assert errors["optimize"].startswith("--optimize size quantizes the weights")
    # With several modes an int8 option goes where it applies, as `cnnlab convert` does it.
    request, errors = convert_form.check_convert(
        5, {**base, "modes": ["float", "int8"], "int8_io": True, "calibration": "200"}
    )
    assert errors == {} and request is not None
    line = request.command_line()
    assert line == "cnnlab convert 5 --mode float,int8 --calibration 200 --int8-io"
    with convert_command.make_context("convert", shlex.split(line)[2:]) as ctx:
        assert {k: ctx.params[k] for k in request.options()} == request.options()
