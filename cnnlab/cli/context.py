"""What every command shares: finding the database, opening it, reporting errors, printing JSON.

The database is, in order of precedence: the command's `--db`, the group's `--db`, `CNNLAB_DB`,
then `./experiments.db`. User errors leave as one line on stderr with exit code 2, and so does any
OSError a command did not explain itself: a user should never see a traceback for a bad path.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from cnnlab.errors import CnnlabError

if TYPE_CHECKING:
    from cnnlab.config import Config
    from cnnlab.store import Store

F = TypeVar("F", bound=Callable[..., Any])

DB_HELP = "Database file (default: $CNNLAB_DB, else ./experiments.db)."


class UserError(click.ClickException):
    """A `CnnlabError` on its way out of the CLI: message on stderr, exit code 2."""

    exit_code = 2


@dataclass
class CliState:
    db_arg: Path | None = None

    def db_path(self, override: Path | None) -> Path:
        chosen = override or self.db_arg or os.environ.get("CNNLAB_DB") or "experiments.db"
        return Path(chosen).expanduser().absolute()


def db_option(fn: F) -> F:
    """`--db PATH` on a subcommand, so it may follow the command name as users expect."""
    return click.option("--db", "db", type=click.Path(path_type=Path), default=None, help=DB_HELP)(
        fn
    )


def json_option(fn: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON (stable shape).")(fn)


def state(ctx: click.Context) -> CliState:
    return ctx.ensure_object(CliState)


def config_for(ctx: click.Context, db: Path | None) -> Config:
    from cnnlab.config import load_config

    return load_config(state(ctx).db_path(db))


def open_db(ctx: click.Context, db: Path | None) -> Store:
    """Open the chosen database for the rest of the command (closed when it ends)."""
    from cnnlab.store import open_store

    path = state(ctx).db_path(db)
    config = config_for(ctx, db)
    store = open_store(path, busy_timeout_s=config.store.busy_timeout_s)
    return ctx.with_resource(store)


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def run_guarded(invoke: Callable[[], Any]) -> Any:
    """Call `invoke`, turning a user-caused error into a clean one-line exit.

    A bad option value (`--runs 1e20` for a whole number) is click's message on one line
    rather than the whole usage block. An `OSError` that no command turned into a sentence (a
    folder that is not writable, a file where a folder should be, a full disk) still leaves as
    one line naming the file, rather than as a traceback; a closed stdout (`cnnlab ls | head`)
    is not an error to report.
    """
    try:
        return invoke()
    except CnnlabError as exc:
        raise UserError(str(exc)) from exc
    except click.exceptions.NoArgsIsHelpError:
        raise  # the help text itself, as asked for
    except click.UsageError as exc:  # a bad option value: one line, not the usage block
        where = f"; `{exc.ctx.command_path} --help` lists the options" if exc.ctx else ""
        raise UserError(exc.format_message().rstrip(".") + where) from exc
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise UserError(os_error_sentence(exc)) from exc


def os_error_sentence(exc: OSError) -> str:
    """One line for an OSError: what failed, on which file(s), and what to check."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    files = [str(name) for name in (exc.filename, exc.filename2) if name is not None]
    where = f" ({' -> '.join(files)})" if files else ""
    first = reason.strip().splitlines()[0] if reason.strip() else type(exc).__name__
    return (
        f"{first}{where}; check that path's type, permissions and free space, then run the "
        "command again."
    )


def look_after_jobs(store: Store) -> None:
    """Settle dead jobs and restart a missing scheduler before reading; problems on stderr."""
    from cnnlab.engine import look_after_jobs as look_after

    for warning in look_after(store):
        click.echo(f"Warning: {warning}", err=True)
