"""`cnnlab.toml`: typed defaults, the database's file over the user's, errors with file and line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cnnlab.config import Config, ConfigError, describe_keys, load_config, user_config_path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_defaults_without_any_file(db_path: Path) -> None:
    config = load_config(db_path)
    assert config == Config()
    assert config.engine.max_parallel is None
    assert config.store.busy_timeout_s == 30.0
    assert config.sources == ()


def test_database_file_wins_key_by_key_over_the_users(db_path: Path) -> None:
    user = write(
        user_config_path(),
        "[engine]\nmax_parallel = 4\nbackend = 'slurm'\n[slurm]\npartition = 'gpu'\n",
    )
    local = write(
        db_path.parent / "cnnlab.toml",
        "[engine]\nmax_parallel = 2\n\n[devices]\nbenchmark_model = 'tools/bm'\n",
    )
    config = load_config(db_path)
    assert config.engine.max_parallel == 2
    assert config.engine.backend == "slurm"
    assert config.slurm.partition == "gpu"
    assert config.devices.benchmark_model == str(db_path.parent / "tools" / "bm")
    assert config.sources == (user, local)


def test_sbatch_args_are_a_list_of_strings(db_path: Path) -> None:
    write(db_path.parent / "cnnlab.toml", "[slurm]\nsbatch_args = ['--mem=4G', '--qos=low']\n")
    assert load_config(db_path).slurm.sbatch_args == ("--mem=4G", "--qos=low")
    assert load_config(db_path.parent / "elsewhere" / "x.db").slurm.sbatch_args == ()


def test_integers_are_accepted_where_numbers_are_expected(db_path: Path) -> None:
    write(db_path.parent / "cnnlab.toml", "[store]\nbusy_timeout_s = 5\n")
    assert load_config(db_path).store.busy_timeout_s == 5.0


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("[engine]\nmax_parallel = 2\nmax_paralel = 3\n", 3, "unknown key 'engine.max_paralel'"),
        ("[engine]\n\nmax_parallel = 0\n", 3, "must be greater than 0"),
        ("[engine]\nmax_parallel = 'two'\n", 2, "must be an integer"),
        ("[engine]\nmax_parallel = true\n", 2, "must be an integer"),
        ("[engine]\nbackend = 'kubernetes'\n", 2, "must be one of 'local', 'slurm'"),
        ("# lab settings\n[gpus]\ncount = 2\n", 2, "unknown section [gpus]"),
        ("[devices]\nadb_port = 70000\n", 2, "TCP port"),
        ("[slurm]\ntime_limit = 'a day'\n", 2, "Slurm time limit"),
        ("[slurm]\nsbatch_args = '--mem=4G'\n", 2, "must be a list of strings"),
        ("[slurm]\n\nsbatch_args = ['--mem=4G', 4]\n", 3, "must be a list of strings"),
        ("engine.max_parallel = -1\n", 1, "must be greater than 0"),
        ("[engine]\nmax_parallel = \n", 2, "not valid TOML"),
    ],
)
def test_bad_files_name_the_file_and_line(
    db_path: Path, text: str, line: int, message: str
) -> None:
    path = write(db_path.parent / "cnnlab.toml", text)
    with pytest.raises(ConfigError) as error:
        load_config(db_path)
    assert str(error.value).startswith(f"{path}:{line}: ")
    assert message in str(error.value)


def test_an_unreadable_file_is_an_error(db_path: Path) -> None:
    path = write(db_path.parent / "cnnlab.toml", "")
    path.write_bytes(b"\xff\xfe not utf-8")
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(db_path)


def test_every_key_is_documented() -> None:
    keys = describe_keys()
    assert {key for key, *_ in keys} >= {
        "engine.max_parallel",
        "engine.backend",
        "devices.benchmark_model",
        "slurm.partition",
        "store.busy_timeout_s",
    }
    assert all(doc.strip() for *_, doc in keys)
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    for key, *_ in keys:
        assert f"`{key}`" in readme, f"{key} is not documented in README.md"


def test_xdg_config_home_is_honoured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    assert user_config_path() == tmp_path / "cfg" / "cnnlab" / "cnnlab.toml"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    assert (
        user_config_path() == Path(os.path.expanduser("~")) / ".config" / "cnnlab" / "cnnlab.toml"
    )
