"""Custom architectures named by file or by the lab's cnnlab.toml: what a `--model` text means,
which file it is, and its hash; no TensorFlow (building one is tested in
tests/engine/kinds/train/test_custom_models.py)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from cnnlab.config import load_config
from cnnlab.errors import ConfigError
from cnnlab.model_refs import is_custom_reference
from cnnlab.models import MODEL_NAMES, ModelError, UnknownModelError
from cnnlab.models.custom import FUNCTION, KERAS_FILE, ModelSource, resolve_model_name, source_of


@pytest.mark.parametrize(
    ("text", "custom"),
    [
        ("alexnet", False),
        ("my_net", False),
        ("nets.py:build", True),
        ("lab/nets.py:build_my_net", True),
        ("/abs/model.keras", True),
        ("nets.py", False),  # a .py file needs its function
        ("C:/x.py:f", True),
    ],
)
def test_what_names_a_file(text: str, custom: bool) -> None:
    assert is_custom_reference(text) is custom


def test_a_function_reference_is_found_with_its_hash(tmp_path: Path) -> None:
    nets = tmp_path / "lab" / "nets.py"
    nets.parent.mkdir()
    nets.write_text("def build(input_shape, num_classes): ...\n")
    source = source_of("lab/../lab/nets.py:build", base=tmp_path)
    assert source == ModelSource(
        FUNCTION, str(nets), "build", hashlib.sha256(nets.read_bytes()).hexdigest()
    )
    assert source.reference == f"{nets}:build"
    assert ModelSource.from_json(source.to_json()) == source
    assert source.copy_in(tmp_path / "runs" / "3") == tmp_path / "runs/3/model_source/nets.py"


def test_a_keras_file_reference(tmp_path: Path) -> None:
    model = tmp_path / "net.keras"
    model.write_bytes(b"PK")
    source = source_of(str(model))
    assert (source.kind, source.function) == (KERAS_FILE, None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("missing.py:build", "does not exist; check the path in --model"),
        ("folder.py:build", "is not a file"),
        ("nets.py:9lives", "must name a function after the colon"),
        ("nets.py:", "must name a function after the colon"),
        ("notes.txt", "is not a model file"),
    ],
)
def test_unusable_references_are_one_sentence(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "folder.py").mkdir()
    (tmp_path / "nets.py").write_text("")
    with pytest.raises(ModelError, match=message):
        source_of(text, base=tmp_path)


def test_lab_names_resolve_and_a_shadowed_zoo_name_is_refused() -> None:
    lab = {"my_net": "/lab/nets.py:build", "alexnet": "/lab/other.py:f"}
    assert resolve_model_name("my_net", lab) == "/lab/nets.py:build"
    assert resolve_model_name("squeezenet", lab) == "squeezenet"
    with pytest.raises(ModelError, match="'alexnet' is both the zoo's model and"):
        resolve_model_name("alexnet", lab)
    assert resolve_model_name("x.py:f", lab) == "x.py:f"
    with pytest.raises(UnknownModelError) as raised:
        resolve_model_name("my_nett", lab)
    message = str(raised.value)
    assert all(name in message for name in MODEL_NAMES)
    assert "the lab's: my_net" in message
    assert "path/to/file.py:function or path/to/model.keras" in message


def test_cnnlab_toml_names_the_labs_models(tmp_path: Path) -> None:
    (tmp_path / "cnnlab.toml").write_text(
        '[models]\nmy_net = "lab/nets.py:build_my_net"\nfrozen = "/shared/zoo/net.keras"\n'
    )
    config = load_config(tmp_path / "experiments.db")
    assert config.models == {
        "my_net": f"{tmp_path}/lab/nets.py:build_my_net",
        "frozen": "/shared/zoo/net.keras",
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('my_net = "nets.py"', r"cnnlab.toml:4: \[models\] 'my_net' must be"),
        ("my_net = 3", r"cnnlab.toml:4: \[models\] 'my_net' must be"),
        ('"my net" = "nets.py:f"', r"cnnlab.toml:4: \[models\] 'my net' is not a model name"),
    ],
)
def test_a_bad_models_table_names_its_line(tmp_path: Path, body: str, message: str) -> None:
    (tmp_path / "cnnlab.toml").write_text(f'[engine]\nbackend = "local"\n[models]\n{body}\n')
    with pytest.raises(ConfigError, match=message):
        load_config(tmp_path / "experiments.db")
