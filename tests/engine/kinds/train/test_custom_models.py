"""A custom architecture goes everywhere a zoo model goes, with real TensorFlow and the real CLI:
a lab's file (with a custom Layer class of its own) named in cnnlab.toml is trained, transferred
by layer name, converted and benchmarked on the host; the run keeps a copy of the file with its
hash, so editing the file afterwards changes nothing; and a file that does not import, a
function that returns no model or a model that does not fit the data is refused at submit with
one sentence and no row."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from cnnlab.store import (
    get_experiment,
    list_artifacts,
    list_epochs,
    open_store,
    verify_artifact,
)

NETS = '''
import keras


class Scale(keras.layers.Layer):
    """A layer of the lab's own: a saved model needs this file to load again."""

    def __init__(self, factor=0.5, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        return x * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def build_my_net(input_shape=(16, 16, 3), num_classes=3, width=1.0):
    inputs = keras.Input(input_shape)
    x = Scale(name="scale")(inputs)
    x = keras.layers.Conv2D(int(8 * width), 3, activation="relu", name="conv_a")(x)
    x = keras.layers.MaxPooling2D(name="pool_a")(x)
    x = keras.layers.Conv2D(8, 3, activation="relu", name="conv_b")(x)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="head")(x)
    return keras.Model(inputs, outputs, name="my_net")


def returns_a_number(input_shape=(16, 16, 3), num_classes=3):
    return 42


def ends_in_logits(input_shape=(16, 16, 3), num_classes=3):
    inputs = keras.Input(input_shape)
    x = keras.layers.GlobalAveragePooling2D()(inputs)
    return keras.Model(inputs, keras.layers.Dense(num_classes)(x))


class Subclassed(keras.Model):
    def __init__(self, classes):
        super().__init__()
        self.head = keras.layers.Dense(classes, activation="softmax")

    def call(self, x):
        return self.head(keras.ops.mean(x, axis=(1, 2)))


def subclassed(input_shape=(16, 16, 3), num_classes=3):
    model = Subclassed(num_classes)
    model.build((None, *input_shape))
    return model


def raises(input_shape=(16, 16, 3), num_classes=3):
    raise ValueError("depth must be even")


def needs_its_input(input_shape, num_classes):
    return build_my_net(input_shape, num_classes)


def no_input_layer(input_shape=(16, 16, 3), num_classes=3):
    return keras.Sequential(
        [
            keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(num_classes, activation="softmax"),
        ]
    )
'''


def cnnlab(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cnnlab", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A lab folder: nets.py, a cnnlab.toml naming it, and a 3-class dataset of 16 px images."""
    folder = tmp_path_factory.mktemp("lab")
    (folder / "lab").mkdir()
    (folder / "lab" / "nets.py").write_text(NETS)
    (folder / "cnnlab.toml").write_text('[models]\nmy_net = "lab/nets.py:build_my_net"\n')
    made = cnnlab("data", "synth", "fruits", "--classes", "3", "--per-class", "12", "--size",
                  "16", cwd=folder)  # fmt: skip
    assert made.returncode == 0, made.stderr
    saved = subprocess.run(  # a .keras file whose Scale layer only nets.py defines
        [sys.executable, "-c", "import nets; nets.build_my_net().save('../scaled.keras')"],
        cwd=folder / "lab",
        capture_output=True,
        text=True,
        check=False,
    )
    assert saved.returncode == 0, saved.stderr
    return folder


def test_a_lab_model_is_trained_transferred_converted_and_benchmarked(lab: Path) -> None:
    nets = lab / "lab" / "nets.py"
    submitted = hashlib.sha256(nets.read_bytes()).hexdigest()
    train = cnnlab("train", "-m", "my_net", "-d", "fruits", "--epochs", "2", "--batch", "8",
                   "--json", cwd=lab)  # fmt: skip
    assert train.returncode == 0, train.stderr
    run_id = json.loads(train.stdout)["id"]
    # The run keeps the bytes it was checked with: editing the file now changes nothing.
    nets.write_text(NETS.replace('name="conv_a"', 'name="renamed"'))
    followed = cnnlab("logs", str(run_id), "-f", cwd=lab)
    assert followed.returncode == 0, followed.stderr
    store = open_store(lab / "experiments.db")
    run = get_experiment(store, run_id)
    assert run.status == "done", run.error
    assert run.spec["model"] == "my_net"
    assert run.spec["model_source"]["sha256"] == submitted
    assert run.spec["input"] == 16  # the builder's own default, written into the spec
    copy = store.run_dir(run_id) / "model_source" / "nets.py"
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == submitted
    assert len(list_epochs(store, run_id)) == 2
    assert run.params is not None and run.params > 0

    # Transfer by layer name, from a model whose Scale layer only the kept file defines.
    transfer = cnnlab("transfer", str(run_id), "--freeze", "layers:scale,conv_a", "--epochs",
                      "1", "--batch", "8", "--wait", "--json", cwd=lab)  # fmt: skip
    assert transfer.returncode == 0, transfer.stderr
    child = get_experiment(store, json.loads(transfer.stdout)["ids"][0])
    assert child.status == "done", child.error
    assert child.parent_id == run_id

    convert = cnnlab("convert", str(child.id), "--mode", "float", "--wait", "--json", cwd=lab)
    assert convert.returncode == 0, convert.stderr
    tflite = [a for a in list_artifacts(store, child.id) if a.kind == "tflite"]
    assert len(tflite) == 1

    bench = cnnlab("bench", str(child.id), "--runs", "5", "--warmup", "1", "--wait", "--json",
                   cwd=lab)  # fmt: skip
    assert bench.returncode == 0, bench.stderr
    rows = json.loads(cnnlab("latency", "--json", cwd=lab).stdout)["rows"]
    assert [(row["experiment_id"], row["variant"], row["n"]) for row in rows] == [
        (child.id, "float", 5)
    ]
    # The paper-style report compares the run and its transfer as it does zoo runs.
    report = cnnlab("report", str(run_id), str(child.id), "--format", "json", cwd=lab)
    assert report.returncode == 0, report.stderr
    groups = json.loads(report.stdout)["groups"]
    assert [group["runs"][0]["id"] for group in groups] == [run_id, child.id]
    assert "sentence" in json.loads(report.stdout)["comparison"]


def test_a_pipeline_of_a_lab_model_queues_its_stages_with_the_file_kept(lab: Path) -> None:
    (lab / "chain.toml").write_text(
        'name = "mine"\n[[stage]]\nname = "pre"\nmodel = "my_net"\ndata = "fruits"\n'
        'epochs = 1\nbatch = 8\n[[stage]]\nname = "fine"\nparent = "pre"\n'
        'freeze = "layers:conv_a"\nepochs = 1\n'
    )
    db = lab / "pipeline" / "experiments.db"
    db.parent.mkdir()
    (db.parent / "cnnlab.toml").write_text(
        f'[models]\nmy_net = "{lab / "lab" / "nets.py"}:build_my_net"\n'
    )
    queued = cnnlab("pipeline", "run", "chain.toml", "--json", "--db", str(db), cwd=lab)
    assert queued.returncode == 0, queued.stderr
    stages = json.loads(queued.stdout)["stages"]
    for stage in ("pre", "fine"):  # nothing needs to train here
        cnnlab("stop", str(stages[stage][0]), "--db", str(db), cwd=lab)
    cnnlab("logs", str(stages["pre"][0]), "-f", "--db", str(db), cwd=lab)  # until it ends
    store = open_store(db)
    pre = get_experiment(store, stages["pre"][0])
    assert (pre.model, pre.spec["input"]) == ("my_net", 16)
    kept = store.run_dir(pre.id) / "model_source" / "nets.py"
    assert hashlib.sha256(kept.read_bytes()).hexdigest() == pre.spec["model_source"]["sha256"]
    (lab / "bare").mkdir()
    refused = cnnlab("pipeline", "run", "chain.toml", "--db", str(lab / "bare" / "x.db"), cwd=lab)
    assert refused.returncode == 2  # the lab name is the cnnlab.toml's beside that database
    assert "chain.toml: stage 'pre': Unknown model 'my_net'" in refused.stderr


def test_models_lists_and_shows_the_labs_model(lab: Path) -> None:
    listed = cnnlab("models", "--name", "my_*", "--json", cwd=lab)
    assert listed.returncode == 0, listed.stderr
    (entry,) = json.loads(listed.stdout)["models"]
    assert (entry["name"], entry["family"], entry["input_shape"]) == ("my_net", "lab", [16, 16, 3])
    assert entry["total_params"] > 0 and entry["macs"] > 0
    shown = cnnlab("models", "show", "my_net", "--classes", "5", "--json", cwd=lab)
    assert shown.returncode == 0, shown.stderr
    detail = json.loads(shown.stdout)
    assert detail["classes"] == 5
    assert [layer["name"] for layer in detail["layers"]][-1] == "head"
    assert detail["total_params"] == sum(layer["params"] for layer in detail["layers"])


@pytest.mark.parametrize(
    ("model", "extra", "message"),
    [
        ("lab/broken.py:f", [], "broken.py line 2: SyntaxError"),
        ("lab/exits.py:f", [], "called sys.exit(3) when imported"),
        ("lab/nets.py:nope", [], "has no function 'nope'; it defines build_my_net"),
        ("lab/nets.py:returns_a_number", [], "returned int, not a Keras model"),
        ("lab/nets.py:ends_in_logits", [], "ends in linear, not softmax"),
        ("lab/nets.py:needs_its_input", [], "has no default input shape; pass --input N"),
        ("lab/nets.py:raises", [], "raises((16, 16, 3), 3) failed: nets.py line 56: ValueError"),
        ("lab/missing.py:f", [], "does not exist; check the path in --model"),
        ("lab/nets.py:subclassed", [], "is a subclassed keras.Model, which has no graph"),
        ("lab/junk.keras", [], "is not a .keras model (not a zip archive"),
        ("scaled.keras", [], "uses classes of its own (Scale), which a .keras file does not"),
        ("my_nett", [], "the lab's: my_net"),
    ],
)
def test_a_model_that_cannot_run_is_refused_at_submit(
    lab: Path, model: str, extra: list[str], message: str
) -> None:
    (lab / "lab" / "broken.py").write_text("import keras\ndef f(:\n")
    (lab / "lab" / "exits.py").write_text("import sys\nsys.exit(3)\n")
    (lab / "lab" / "junk.keras").write_bytes(b"not a zip")
    db = lab / "refusals.db"
    result = cnnlab("train", "-m", model, "-d", "fruits", "--db", str(db), *extra, cwd=lab)
    assert result.returncode == 2
    assert message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert (
        not db.exists()
        or json.loads(cnnlab("ls", "--json", "--db", str(db), cwd=lab).stdout)["total"] == 0
    )


def test_a_keras_file_is_fresh_unless_its_weights_are_kept(lab: Path) -> None:
    """`--model file.keras` trains its architecture from fresh weights; `--weights keep` from
    the file's own; a model whose head does not fit the data's classes is refused."""
    import keras
    import numpy as np

    model = keras.Sequential(
        [
            keras.Input((16, 16, 3)),
            keras.layers.Conv2D(4, 3, activation="relu", name="conv_a"),
            keras.layers.Conv2D(4, 3, activation="relu", name="conv_b"),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    model.save(lab / "mine.keras")
    kernel = model.get_layer("conv_b").get_weights()[0]
    db = lab / "keras_file" / "experiments.db"  # its own runs/ (beside the database)
    db.parent.mkdir()
    for weights in ([], ["--weights", "keep"]):
        result = cnnlab("train", "-m", "mine.keras", "-d", "fruits", "--epochs", "1", "--lr",
                        "1e-9", "--batch", "8", "--db", str(db), "--wait", "--json", *weights,
                        cwd=lab)  # fmt: skip
        assert result.returncode == 0, result.stderr
    store = open_store(db)
    started = []
    for experiment_id in (1, 2):
        (artifact,) = [a for a in list_artifacts(store, experiment_id) if a.kind == "keras"]
        trained = keras.models.load_model(verify_artifact(store, artifact), compile=False)
        started.append(np.abs(trained.get_layer("conv_b").get_weights()[0] - kernel).max())
    fresh, kept = started
    assert fresh > 0.01  # re-initialised
    assert kept < 1e-3  # the file's own, moved by at most one step at lr 1e-9
    # A run from a .keras file is transferred (its file is no Python module to import for
    # custom classes: that failed with "Cannot import .../mine.keras: not a Python file").
    transfer = cnnlab("transfer", "1", "--freeze", "layers:conv_a", "--epochs", "1", "--batch",
                      "8", "--db", str(db), "--wait", "--json", cwd=lab)  # fmt: skip
    assert transfer.returncode == 0, transfer.stderr
    assert get_experiment(store, json.loads(transfer.stdout)["ids"][0]).status == "done"
    five = cnnlab("data", "synth", "five", "--classes", "5", "--per-class", "4", "--size", "16",
                  cwd=lab)  # fmt: skip
    assert five.returncode == 0
    refused = cnnlab("train", "-m", "mine.keras", "-d", "five", "--batch", "4", "--db", str(db),
                     cwd=lab)  # fmt: skip
    assert refused.returncode == 2
    assert "outputs 3, but the data has 5 classes" in refused.stderr


BLOCKS = '''
import keras


class Halve(keras.layers.Layer):
    """A layer defined beside the model's file, not in it."""

    def call(self, x):
        return x * 0.5


def conv_block(x, filters, name):
    return keras.layers.Conv2D(filters, 3, activation="relu", name=name)(Halve()(x))
'''

USES_BLOCKS = """
import keras
from parts.blocks import conv_block


def net(input_shape, num_classes):
    inputs = keras.Input(input_shape)
    x = conv_block(inputs, 4, "conv_a")
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(num_classes, activation="softmax")(x))
"""


def test_the_modules_a_file_imports_beside_it_are_kept_with_it(lab: Path) -> None:
    """`from parts.blocks import conv_block` beside the file: the run keeps parts/ too (it
    failed in the job with `No module named 'parts'`), so training, a resume and a transfer
    work after the original folder is gone, its Halve layer known when the model is loaded."""
    own = lab / "own"
    (own / "parts").mkdir(parents=True)
    (own / "parts" / "__init__.py").write_text("")
    (own / "parts" / "blocks.py").write_text(BLOCKS)
    (own / "net.py").write_text(USES_BLOCKS)
    db = lab / "modules" / "experiments.db"  # its own runs/ (beside the database)
    db.parent.mkdir()
    train = cnnlab("train", "-m", "own/net.py:net", "-d", "fruits", "--input", "16", "--epochs",
                   "1", "--batch", "8", "--db", str(db), "--wait", "--json", cwd=lab)  # fmt: skip
    assert train.returncode == 0, train.stderr
    store = open_store(db)
    run = get_experiment(store, 1)
    assert run.status == "done", run.error
    kept = store.run_dir(1) / "model_source"
    assert sorted(p.relative_to(kept).as_posix() for p in kept.rglob("*.py")) == [
        "net.py",
        "parts/__init__.py",
        "parts/blocks.py",
    ]
    digest = hashlib.sha256(BLOCKS.encode()).hexdigest()
    assert ["parts/blocks.py", digest] in run.spec["model_source"]["modules"]
    for path in sorted(own.rglob("*"), reverse=True):  # the original folder is gone
        path.unlink() if path.is_file() else path.rmdir()
    transfer = cnnlab("transfer", "1", "--freeze", "layers:conv_a", "--epochs", "1", "--batch",
                      "8", "--db", str(db), "--wait", "--json", cwd=lab)  # fmt: skip
    assert transfer.returncode == 0, transfer.stderr
    child = get_experiment(store, json.loads(transfer.stdout)["ids"][0])
    assert child.status == "done", child.error


def test_a_sequential_without_an_input_layer_is_built_for_its_input(lab: Path) -> None:
    """keras.Sequential([...]) with no keras.Input is unbuilt: it was refused as not having
    "one image input and one class output"; it is built for the run's input and trained."""
    db = lab / "sequential" / "experiments.db"  # its own runs/ (beside the database)
    db.parent.mkdir()
    result = cnnlab("train", "-m", "lab/nets.py:no_input_layer", "-d", "fruits", "--epochs",
                    "1", "--batch", "8", "--db", str(db), "--wait", "--json", cwd=lab)  # fmt: skip
    assert result.returncode == 0, result.stderr
    run = get_experiment(open_store(db), 1)
    assert run.status == "done", run.error
    assert run.spec["input"] == 16 and run.params == 4 * 27 + 4 + 4 * 3 + 3
