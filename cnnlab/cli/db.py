"""`cnnlab db info` and `cnnlab config`: what the database and the settings look like."""

from __future__ import annotations

from pathlib import Path

import click

from cnnlab.cli.context import config_for, db_option, json_option, open_db, print_json, state


@click.group("db")
def db_group() -> None:
    """Inspect the database file."""


@db_group.command("info")
@json_option
@db_option
@click.pass_context
def info_command(ctx: click.Context, as_json: bool, db: Path | None) -> None:
    """Path, schema version, row counts and size of the database (created on first use)."""
    from cnnlab.store import database_info

    info = database_info(open_db(ctx, db))
    if as_json:
        print_json(info.to_json())
        return
    click.echo(f"database        {info.path}")
    click.echo(f"runs folder     {info.runs_dir}")
    click.echo(f"schema version  {info.schema_version} (latest {info.latest_schema_version})")
    click.echo(f"journal mode    {info.journal_mode}")
    click.echo(f"size            {info.size_bytes:,} bytes")
    for table, count in info.counts.items():
        click.echo(f"{table:<15} {count:,}")


@click.command("config")
@json_option
@db_option
@click.pass_context
def config_command(ctx: click.Context, as_json: bool, db: Path | None) -> None:
    """Every setting cnnlab.toml may hold: its value here, default, and meaning."""
    from cnnlab.config import config_paths, describe_keys

    config = config_for(ctx, db)
    rows = []
    for key, kind, default, doc in describe_keys():
        section, name = key.split(".")
        value = getattr(getattr(config, section), name)
        rows.append({"key": key, "value": value, "type": kind, "default": default, "doc": doc})
    if as_json:
        print_json(
            {
                "files": [str(p) for p in config_paths(state(ctx).db_path(db))],
                "loaded": [str(p) for p in config.sources],
                "settings": rows,
            }
        )
        return
    click.echo(
        "Read (weakest first): "
        + ", ".join(
            f"{p}{'' if p in config.sources else ' (absent)'}"
            for p in config_paths(state(ctx).db_path(db))
        )
    )
    for row in rows:
        click.echo(f"{row['key']} = {row['value']!r}    # {row['doc']} Default {row['default']}.")
