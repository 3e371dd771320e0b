"""Click options made from the engine's parameter declarations (`cnnlab.engine.params`).

The flag, type, choices, help and default of every job option come from there, so the CLI
cannot offer a value the TUI's form refuses, or the other way round.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from cnnlab.engine.params import Param, spec_default

F = TypeVar("F", bound=Callable[..., Any])


def param_option(param: Param, spec_class: type) -> Callable[[F], F]:
    """The click option for one parameter; its value arrives under the spec field's name."""
    names = [param.flag, *([param.short] if param.short else []), param.name]
    if param.type is bool:
        return click.option(*names, is_flag=True, help=param.help)
    kind: Any = click.Choice(param.choices) if param.choices else param.type
    if param.required:
        return click.option(*names, type=kind, required=True, help=param.help)
    if param.zoo_default:  # left out: None, and the spec gets the model's default
        return click.option(*names, type=kind, default=None, help=param.help)
    default = spec_default(spec_class, param)
    return click.option(
        *names, type=kind, default=default, show_default=default not in (None, ""),
        help=param.help,
    )  # fmt: skip


def param_options(params: tuple[Param, ...], spec_class: type) -> Callable[[F], F]:
    """A decorator adding every parameter's option, in declaration order."""

    def decorate(fn: F) -> F:
        for param in reversed(params):
            fn = param_option(param, spec_class)(fn)
        return fn

    return decorate
