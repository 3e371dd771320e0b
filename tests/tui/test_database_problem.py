"""A database that disappears while the app is open: a message with Retry, never a traceback;
and `cnnlab` on a file that is not a database: the one-line CLI error, no app.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from cnnlab.cli import cli
from cnnlab.tui.screens.dialogs import DatabaseProblem

from .conftest import MakeApp
from .helpers import home, until


async def test_vanished_database_offers_retry(make_app: MakeApp, db_path: Path) -> None:
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = home(pilot)
        await until(pilot, lambda: screen.table.row_count == 8)
        aside = db_path.with_suffix(".moved")
        shutil.move(db_path, aside)
        await until(pilot, lambda: isinstance(app.screen, DatabaseProblem))
        assert "has disappeared" in app.screen.message
        shutil.move(aside, db_path)
        await pilot.press("r")
        await until(pilot, lambda: app.screen is screen)
        await until(pilot, lambda: screen.table.row_count == 8)


def test_cnnlab_on_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.db"
    bogus.write_text("hello")
    result = CliRunner().invoke(cli, ["--db", str(bogus)])
    assert result.exit_code == 2
    assert "not an SQLite database" in result.output
    assert "Traceback" not in result.output
