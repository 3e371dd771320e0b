"""`cnnlab latency import FILE TARGET --device NAME`: a latency measured elsewhere becomes a done
bench that `cnnlab latency` and the Latency screen show like any other, device included; every
bad file, target or device is one `Error:` line, exit code 2, and leaves the database as it was.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from support import saved_logs
from support.cli_errors import one_error_line

from cnnlab.report.latency import read_latency
from cnnlab.store import (
    Device,
    Store,
    add_artifact,
    create_experiment,
    get_experiment,
    list_bench_runs,
    list_devices,
    open_store,
    upsert_device,
)

Invoke = Callable[..., Result]
TABLES = ("experiments", "bench_runs", "latency_samples", "devices", "artifacts", "events")


@pytest.fixture
def lab(db_path: Path) -> dict[str, int]:
    """A model with one TFLite variant, one with two, and a phone the database knows; each
    int8 model is as long as the logs say (`saved_logs.MODEL_BYTES`), the float one twice."""
    with open_store(db_path) as store:
        owner = create_experiment(store, "import", status="done", model="alexnet", name="alex")
        twin = create_experiment(store, "import", status="done", model="vgg", name="vgg")
        upsert_device(
            store, Device(serial="R58M41", kind="adb", manufacturer="samsung", model="SM-G950F")
        )
        ids = {"owner": owner, "twin": twin}
        for experiment, mode in ((owner, "int8"), (twin, "float"), (twin, "int8")):
            path = store.run_dir(experiment) / f"{mode}.tflite"
            path.parent.mkdir(parents=True, exist_ok=True)
            size = saved_logs.MODEL_BYTES * (2 if mode == "float" else 1)
            path.write_bytes((mode.encode() * size)[:size])
            meta = {"mode": mode, "evaluation": {"top1": 0.9, "top3": 0.97}}
            ids[f"{experiment}:{mode}"] = add_artifact(store, experiment, "tflite", path, meta=meta)
    return ids


def counts(db_path: Path) -> dict[str, int]:
    with open_store(db_path) as store:
        return {t: int(store.read(f"SELECT count(*) FROM {t}")[0][0]) for t in TABLES}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def twin_artifact(lab: dict[str, int], mode: str) -> str:
    """The target naming one of the two-variant model's artifacts."""
    key = f"{lab['twin']}:{mode}"
    return f"artifact:{lab[key]}"


def latency_rows(invoke: Invoke, db_path: Path, *ids: str) -> list[dict[str, object]]:
    printed = invoke("latency", *ids, "--json", "--db", str(db_path))
    assert printed.exit_code == 0, printed.output
    rows: list[dict[str, object]] = json.loads(printed.stdout)["rows"]
    return rows


def test_a_gpu_log_is_a_bench_with_its_steady_summary_and_no_samples(
    invoke: Invoke, db_path: Path, tmp_path: Path, lab: dict[str, int]
) -> None:
    log = write(tmp_path, "pixel_gpu.log", saved_logs.GPU_PARTIAL)
    done = invoke(
        "latency", "import", str(log), str(lab["owner"]), "--device", "R58M41", "--db", str(db_path)
    )
    assert done.exit_code == 0, done.output
    assert "GPU partial (3 delegate kernels, rest on CPU)" in done.stdout
    assert "the tool's summary of 112 runs, 8.874 ms" in done.stdout

    rows = latency_rows(invoke, db_path)
    assert len(rows) == 1
    row = rows[0]
    assert row["ran_on"] == "GPU partial (3 delegate kernels, rest on CPU)"
    assert row["n"] == 0 and row["samples_ms"] == [] and row["median_ms"] is None
    assert row["steady_ms"] == pytest.approx(8.874) and row["steady_n"] == 112
    assert row["mean_ms"] == pytest.approx(8.91127)  # the tool's own mean over those runs
    identity = row["device_identity"]
    assert isinstance(identity, dict) and identity["serial"] == "R58M41"
    assert identity["model"] == "SM-G950F" and row["device"] == "SM-G950F"
    assert row["variant"] == "int8" and row["score"] is not None

    # The same row on the Latency screen, and the table prints it (an empty histogram).
    with open_store(db_path) as store:
        screen = read_latency(store, [lab["owner"]]).rows
        assert [r.ran_on for r in screen] == [row["ran_on"]] and screen[0].samples_ms == ()
        assert screen[0].experiment_id == row["experiment_id"] == lab["owner"]
        (run,) = list_bench_runs(store, _bench_id(store))
    assert run.delegate == "gpu" and run.runs == 0
    table = invoke("latency", "--db", str(db_path))
    assert table.exit_code == 0, table.output
    assert "8.87 ms (112)" in table.stdout and "SM-G950F" in table.stdout


def _bench_id(store: Store) -> int:
    """The one bench experiment the test recorded."""
    rows = store.read("SELECT id FROM experiments WHERE kind = 'bench'")
    assert len(rows) == 1
    return int(rows[0][0])


def test_the_bench_experiment_records_the_file_and_what_the_log_said(
    invoke: Invoke, db_path: Path, tmp_path: Path, lab: dict[str, int]
) -> None:
    log = write(tmp_path, "run.log", saved_logs.GPU_PARTIAL)
    artifact = lab[f"{lab['owner']}:int8"]
    done = invoke(
        "latency",
        "import",
        str(log),
        f"artifact:{artifact}",
        "--device",
        "SM-G950F",  # a recorded model names its device
        "--json",
        "--db",
        str(db_path),
    )
    assert done.exit_code == 0, done.output
    printed = json.loads(done.stdout)
    assert printed["device"] == "R58M41" and not printed["new_device"]
    with open_store(db_path) as store:
        bench = get_experiment(store, printed["experiment_id"])
        assert bench.kind == "bench" and bench.status == "done"
        assert bench.parent_id == lab["owner"] and bench.model == "alexnet"
        imported = bench.spec["imported"]
        assert imported["file"] == "run.log" and imported["format"] == "log"
        assert imported["sha256"] == hashlib.sha256(log.read_bytes()).hexdigest()
        said = imported["log_said"]
        assert said["delegate"] == "gpu" and said["threads"] == 4
        assert said["graph"] == "/data/local/tmp/alexnet_int8.tflite"
        assert said["delegation"] == "GPU partial (3 delegate kernels, rest on CPU)"
        assert bench.spec["delegate"] == "gpu" and bench.spec["runs"] == 112
        (run,) = list_bench_runs(store, bench.id)
        assert run.extra is not None and run.extra["summary_run"]["count"] == 112
        assert run.threads == 4 and run.warmup_runs == 52 and run.init_us == 412500


@pytest.mark.parametrize(
    ("text", "options", "delegate", "steady_ms", "steady_n"),
    [
        (saved_logs.TF20, (), "cpu", 2.1771, 459),
        (saved_logs.TF23, (), "cpu", 33.2094, 50),
        (saved_logs.CPU_DEFAULT_XNNPACK, (), "xnnpack", 16.99, 60),
        (saved_logs.LITERT, ("--delegate", "cpu"), "cpu", 11.81, 85),
        (saved_logs.logcat(saved_logs.GPU_PARTIAL), (), "gpu", 8.874, 112),
    ],
    ids=["tf2.0", "tf2.3", "default-xnnpack", "litert", "logcat"],
)
def test_every_era_of_the_log_imports(
    invoke: Invoke,
    db_path: Path,
    tmp_path: Path,
    lab: dict[str, int],
    text: str,
    options: tuple[str, ...],
    delegate: str,
    steady_ms: float,
    steady_n: int,
) -> None:
    log = write(tmp_path, "saved.txt", text)
    done = invoke(
        "latency", "import", str(log), str(lab["owner"]), "--device", "R58M41", *options,
        "--db", str(db_path),
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    (row,) = latency_rows(invoke, db_path)
    assert row["steady_ms"] == pytest.approx(steady_ms) and row["steady_n"] == steady_n
    with open_store(db_path) as store:
        (run,) = list_bench_runs(store, _bench_id(store))
    assert run.delegate == delegate


def test_a_csv_in_ms_from_a_new_phone(
    invoke: Invoke, db_path: Path, tmp_path: Path, lab: dict[str, int]
) -> None:
    times = write(tmp_path, "app.csv", "run,latency_ms\n1,12.5\n2,12.0\n3,13.5\n4,12.25\n")
    unknown = invoke(
        "latency", "import", str(times), str(lab["owner"]), "--device", "pixel7",
        "--delegate", "gpu", "--db", str(db_path),
    )  # fmt: skip
    line = one_error_line(unknown.stderr, "Unknown device pixel7", "R58M41 (SM-G950F)", "--model")
    assert unknown.exit_code == 2, line
    done = invoke(
        "latency", "import", str(times), str(lab["owner"]), "--device", "pixel7",
        "--model", "Pixel 7", "--manufacturer", "Google", "--soc", "Tensor G2",
        "--delegate", "gpu", "--threads", "2", "--db", str(db_path),
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "new device pixel7" in done.stdout and "4 per-run times" in done.stdout
    (row,) = latency_rows(invoke, db_path)
    assert row["samples_ms"] == [12.5, 12.0, 13.5, 12.25] and row["n"] == 4
    assert row["median_ms"] == pytest.approx(12.375) and row["steady_ms"] is None
    assert row["ran_on"] == "gpu (as declared at import)" and row["device"] == "Pixel 7"
    identity = row["device_identity"]
    assert isinstance(identity, dict)
    assert (identity["serial"], identity["manufacturer"], identity["soc"]) == (
        "pixel7",
        "Google",
        "Tensor G2",
    )
    # The device is known from now on, by its name or its model.
    cold = write(tmp_path, "cold.csv", "run,latency_ms\n1,80.5\n2,82.0\n")
    again = invoke(
        "latency", "import", str(cold), str(lab["owner"]), "--device", "Pixel 7",
        "--delegate", "cpu", "--cold", "--db", str(db_path),
    )  # fmt: skip
    assert again.exit_code == 0, again.output
    modes = sorted(str(r["mode"]) for r in latency_rows(invoke, db_path))
    assert modes == ["cold", "warm"]
    with open_store(db_path) as store:
        assert [d.serial for d in list_devices(store)] == ["R58M41", "pixel7"]


def test_a_json_in_microseconds(
    invoke: Invoke, db_path: Path, tmp_path: Path, lab: dict[str, int]
) -> None:
    times = write(tmp_path, "app.json", json.dumps({"unit": "us", "samples": [8100, 8300, 8200]}))
    done = invoke(
        "latency", "import", str(times), str(lab["owner"]), "--device", "R58M41",
        "--delegate", "nnapi", "--db", str(db_path),
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    (row,) = latency_rows(invoke, db_path, str(lab["owner"]))
    assert row["samples_ms"] == pytest.approx([8.1, 8.3, 8.2]) and row["n"] == 3
    assert row["median_ms"] == pytest.approx(8.2)
    assert row["device_identity"]["model"] == "SM-G950F"  # type: ignore[index]


def test_a_delegate_that_did_not_run_is_refused_or_stored_as_cpu(
    invoke: Invoke, db_path: Path, tmp_path: Path, lab: dict[str, int]
) -> None:
    log = write(tmp_path, "nogpu.log", saved_logs.GPU_UNSUPPORTED)
    args = ("latency", "import", str(log), str(lab["owner"]), "--device", "R58M41")
    before = counts(db_path)
    refused = invoke(*args, "--db", str(db_path))
    assert refused.exit_code == 2
    one_error_line(refused.stderr, "GPU unsupported here (CPU)", "--as-cpu")
    assert counts(db_path) == before
    stored = invoke(*args, "--as-cpu", "--db", str(db_path))
    assert stored.exit_code == 0, stored.output
    (row,) = latency_rows(invoke, db_path)
    assert row["ran_on"] == "GPU unsupported here (CPU)"
    with open_store(db_path) as store:
        (run,) = list_bench_runs(store, _bench_id(store))
    assert run.delegate == "cpu"


BAD_LOGS = {
    "failed": (saved_logs.FAILED, (), "log of a failed run", "Could not open"),
    "truncated": (saved_logs.TRUNCATED, (), "ends before benchmark_model's summary", ""),
    "foreign": ("hello\nthis is my lab notebook\n", (), "is not a benchmark_model log", ""),
    "unknown flag": (saved_logs.GPU_FLAG_UNKNOWN, (), "does not know --use_gpu", "--as-cpu"),
    "litert unsaid": (saved_logs.LITERT, (), "does not say which delegate ran", "--delegate"),
    "litert gpu": (
        "$ benchmark_litert_model --graph=m.tflite --use_gpu=true\n" + saved_logs.LITERT,
        (),
        "LiteRT 2.x log does not say what ran on the gpu",
        "",
    ),
    "delegate against the log": (
        saved_logs.GPU_PARTIAL,
        ("--delegate", "cpu"),
        "says it ran with delegate gpu",
        "",
    ),
    "threads against the log": (saved_logs.TF20, ("--threads", "2"), "threads 4", ""),
    "two runs": (saved_logs.TF23 + saved_logs.TF23, (), "holds 2 benchmark_model runs", ""),
    "cold log": (saved_logs.TF20, ("--cold",), "drop --cold", ""),
    "two delegates pasted together": (
        saved_logs.CHROMEOS_SELECTED,
        (),
        "runs with different delegates (TfLiteXNNPackDelegate and TfLiteGpuDelegateV2",
        "one at a time",
    ),
}


@pytest.mark.parametrize("case", list(BAD_LOGS), ids=list(BAD_LOGS))
def test_a_bad_log_is_one_error_and_stores_nothing(
    invoke: Invoke, db_path: Path, tmp_path: Path, lab: dict[str, int], case: str
) -> None:
    text, options, *fragments = BAD_LOGS[case]
    log = write(tmp_path, "bad.log", str(text))
    before = counts(db_path)
    result = invoke(
        "latency", "import", str(log), str(lab["owner"]), "--device", "R58M41", *options,
        "--db", str(db_path),
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    one_error_line(result.stderr, *[f for f in fragments if f])
    assert counts(db_path) == before


BAD_TIMES = {
    "not a number": ("t.csv", "ms\n3.5\n4.1\nfast\n", "line 4 of t.csv, 'fast' is not a number"),
    "negative": ("t.csv", "ms\n3.5\n-4.1\n", "'-4.1' is not a positive time"),
    "zero": ("t.csv", "latency_ms\n0\n", "'0' is not a positive time"),
    "inf": ("t.csv", "ms\ninf\n", "'inf' is not a finite time"),
    "no unit": ("t.csv", "3.5\n4.1\n", "does not say the unit"),
    "bare json list": ("t.json", "[3.5, 4.1]", "does not say the unit"),
    "json nan": ("t.json", '{"unit": "ms", "times": [1, NaN]}', "not a finite time"),
    "empty": ("t.csv", "", "is empty"),
    "blank": ("t.csv", "\n\n  \n", "is empty"),
}


@pytest.mark.parametrize("case", list(BAD_TIMES), ids=list(BAD_TIMES))
def test_bad_times_are_one_error_and_store_nothing(
    invoke: Invoke, db_path: Path, tmp_path: Path, lab: dict[str, int], case: str
) -> None:
    name, text, fragment = BAD_TIMES[case]
    path = write(tmp_path, name, text)
    before = counts(db_path)
    result = invoke(
        "latency", "import", str(path), str(lab["owner"]), "--device", "R58M41",
        "--delegate", "cpu", "--db", str(db_path),
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    one_error_line(result.stderr, fragment)
    assert counts(db_path) == before


def test_bad_paths_targets_and_devices_store_nothing(
    invoke: Invoke, db_path: Path, tmp_path: Path, lab: dict[str, int]
) -> None:
    log = write(tmp_path, "ok.log", saved_logs.TF23)
    times = write(tmp_path, "t.csv", "ms\n3\n")
    cases = [
        ((str(tmp_path / "gone.log"), str(lab["owner"]), "--device", "R58M41"), "does not exist"),
        ((str(tmp_path), str(lab["owner"]), "--device", "R58M41"), "is not a file"),
        ((str(log), str(lab["twin"]), "--device", "R58M41"), "has 2 TFLite models"),
        ((str(log), "99", "--device", "R58M41"), "99"),
        ((str(log), "artifact:99", "--device", "R58M41"), "99"),
        ((str(log), "twelve", "--device", "R58M41"), "Cannot read target"),
        ((str(log), str(lab["owner"]), "--device", "moto"), "Unknown device moto"),
        (
            (str(log), str(lab["owner"]), "--device", "R58M41", "--model", "Pixel 7"),
            "already recorded",
        ),
        (
            (str(log), str(lab["owner"]), "--device", "my phone", "--model", "Pixel 7"),
            "cannot name a new device",
        ),
        ((str(times), str(lab["owner"]), "--device", "R58M41"), "--delegate"),
        ((str(log), str(lab["owner"]), "--device", "R58M41", "--unit", "ms"), "drop --unit"),
    ]
    before = counts(db_path)
    for args, fragment in cases:
        result = invoke("latency", "import", *args, "--db", str(db_path))
        assert result.exit_code == 2, (args, result.output)
        one_error_line(result.stderr, fragment)
        assert counts(db_path) == before, args


def test_the_listing_still_takes_ids_and_options_in_any_order(
    invoke: Invoke, db_path: Path, lab: dict[str, int]
) -> None:
    assert invoke("latency", "--db", str(db_path)).exit_code == 0
    listed = invoke("latency", "--json", str(lab["owner"]), "--db", str(db_path))
    assert listed.exit_code == 0 and json.loads(listed.stdout) == {"rows": []}
    helped = invoke("latency", "--help")
    assert "import" in helped.stdout and "Commands:" in helped.stdout


def test_importing_a_log_never_loads_tensorflow(
    db_path: Path, tmp_path: Path, lab: dict[str, int]
) -> None:
    log = write(tmp_path, "run.log", saved_logs.GPU_PARTIAL)
    args = ["latency", "import", str(log), str(lab["owner"]), "--device", "R58M41"]
    code = (
        "import sys\nfrom cnnlab.cli import cli\n"
        f"cli({[*args, '--db', str(db_path)]!r}, standalone_mode=False)\n"
        "print('LOADED', ','.join(m for m in ('tensorflow', 'keras') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip().endswith("LOADED"), result.stdout


def test_real_outputs_of_every_era_and_windows_line_endings_import(
    invoke: Invoke, db_path: Path, tmp_path: Path, lab: dict[str, int]
) -> None:
    """The real TF 1.12 output (TI's docs) and Notepad-saved logs import as they are."""
    for number, (text, steady_ms, steady_n) in enumerate(
        [
            (saved_logs.TF112, 137.722, 50),
            (saved_logs.crlf(saved_logs.TF23), 33.2094, 50),
            (saved_logs.crlf(saved_logs.GPU_PARTIAL), 8.874, 112),
        ]
    ):
        log = tmp_path / f"era{number}.log"
        log.write_bytes(text.encode())
        done = invoke(
            "latency", "import", str(log), str(lab["owner"]), "--device", "R58M41", "--json",
            "--db", str(db_path),
        )  # fmt: skip
        assert done.exit_code == 0, done.output
        printed = json.loads(done.stdout)
        assert printed["steady_ms"] == pytest.approx(steady_ms) and printed["steady_n"] == steady_n


def test_a_log_timed_with_op_profiling_or_the_memory_monitor_says_so(
    invoke: Invoke, db_path: Path, tmp_path: Path, lab: dict[str, int]
) -> None:
    profiled = write(tmp_path, "prof.log", saved_logs.OP_PROFILED)
    done = invoke(
        "latency", "import", str(profiled), str(lab["owner"]), "--device", "R58M41",
        "--db", str(db_path),
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "the tool's summary of 112 runs, 8.874 ms" in done.stdout
    assert "timed with op profiling running, which slows them" in done.stdout
    monitored = write(tmp_path, "mem.log", saved_logs.PEAK_MEMORY)
    done = invoke(
        "latency", "import", str(monitored), str(lab["owner"]), "--device", "R58M41",
        "--db", str(db_path),
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "timed with the peak memory monitor running" in done.stdout
    with open_store(db_path) as store:
        runs = [
            list_bench_runs(store, int(row[0]))[0]
            for row in store.read("SELECT id FROM experiments WHERE kind = 'bench' ORDER BY id")
        ]
    assert [(r.extra or {})["timed_with"] for r in runs] == [
        ["op profiling"],
        ["the peak memory monitor"],
    ]
    assert runs[1].peak_memory_bytes == round(13.1797 * 2**20)


def test_a_litert_gpu_run_that_required_full_delegation_is_a_gpu_bench(
    invoke: Invoke, db_path: Path, tmp_path: Path, lab: dict[str, int]
) -> None:
    command = (
        "$ benchmark_litert_model --graph=m.tflite --use_gpu=true --require_full_delegation=true"
    )
    log = write(tmp_path, "litert.log", f"{command}\n{saved_logs.LITERT}")
    done = invoke(
        "latency", "import", str(log), str(lab["owner"]), "--device", "R58M41",
        "--db", str(db_path),
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    (row,) = latency_rows(invoke, db_path)
    assert row["ran_on"] == "GPU full" and row["steady_n"] == 85


def test_the_same_file_twice_is_refused_naming_the_first_import(
    invoke: Invoke, db_path: Path, tmp_path: Path, lab: dict[str, int]
) -> None:
    """One measurement imported twice would weigh double; the same bytes under another name,
    for another variant or as another delegate are the same measurement."""
    times = write(tmp_path, "app.csv", "run,latency_ms\n1,12.5\n2,12.0\n")
    args = ("latency", "import", str(times), str(lab["owner"]), "--device", "R58M41")
    first = invoke(*args, "--delegate", "gpu", "--json", "--db", str(db_path))
    assert first.exit_code == 0, first.output
    bench = json.loads(first.stdout)["experiment_id"]
    before = counts(db_path)
    again = invoke(*args, "--delegate", "cpu", "--db", str(db_path))
    assert again.exit_code == 2
    one_error_line(again.stderr, f"app.csv was imported already, as bench {bench}", "cnnlab rm")
    copy = write(tmp_path, "copy.csv", times.read_text())
    renamed = invoke(
        "latency", "import", str(copy), twin_artifact(lab, "int8"),
        "--device", "R58M41", "--delegate", "gpu", "--db", str(db_path),
    )  # fmt: skip
    assert renamed.exit_code == 2
    one_error_line(renamed.stderr, f"copy.csv was imported already, as bench {bench}")
    assert counts(db_path) == before


def test_a_log_of_a_model_of_another_size_is_refused(
    invoke: Invoke, db_path: Path, tmp_path: Path, lab: dict[str, int]
) -> None:
    log = write(tmp_path, "int8.log", saved_logs.GPU_PARTIAL)
    before = counts(db_path)
    wrong = invoke(
        "latency", "import", str(log), twin_artifact(lab, "float"),
        "--device", "R58M41", "--db", str(db_path),
    )  # fmt: skip
    assert wrong.exit_code == 2
    one_error_line(wrong.stderr, "measured a model of 0.000953674 MB", "(float) is 0.00190735 MB")
    assert counts(db_path) == before


GOOD_TIMES = {
    "bom": (b"\xef\xbb\xbfrun,latency_ms\r\n1,12.5\r\n2,12.0\r\n", [12.5, 12.0]),
    "trailing empty line": (b"run,latency_ms\n1,12.5\n2,12.0\n\n\n", [12.5, 12.0]),
    "european excel": (b"run;latency_ms\n1;12,5\n2;12,25\n", [12.5, 12.25]),
    "utf-16": ("run,latency_ms\n1,12.5\n".encode("utf-16"), [12.5]),
}


@pytest.mark.parametrize("case", list(GOOD_TIMES), ids=list(GOOD_TIMES))
def test_times_as_spreadsheets_save_them_import(
    invoke: Invoke, db_path: Path, tmp_path: Path, lab: dict[str, int], case: str
) -> None:
    data, samples = GOOD_TIMES[case]
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    done = invoke(
        "latency", "import", str(path), str(lab["owner"]), "--device", "R58M41",
        "--delegate", "cpu", "--db", str(db_path),
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    (row,) = latency_rows(invoke, db_path)
    assert row["samples_ms"] == pytest.approx(samples)


def test_a_hundred_thousand_times_import_and_one_more_is_refused(
    invoke: Invoke, db_path: Path, tmp_path: Path, lab: dict[str, int]
) -> None:
    rows = "".join(f"{i},{10 + i % 9}.5\n" for i in range(100_000))
    path = write(tmp_path, "big.csv", "run,latency_ms\n" + rows)
    done = invoke(
        "latency", "import", str(path), str(lab["owner"]), "--device", "R58M41",
        "--delegate", "cpu", "--json", "--db", str(db_path),
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["samples"] == 100_000
    before = counts(db_path)
    more = write(tmp_path, "more.csv", "run,latency_ms\n" + rows + "100000,12.5\n")
    refused = invoke(
        "latency", "import", str(more), str(lab["owner"]), "--device", "R58M41",
        "--delegate", "cpu", "--db", str(db_path),
    )  # fmt: skip
    assert refused.exit_code == 2
    one_error_line(refused.stderr, "holds 100,001 times, more than the 100,000")
    assert counts(db_path) == before


MORE_BAD_FILES = {
    "decimal comma, comma file": ("t.csv", "latency_ms\n12,5\n12,0\n", "has 2 cells where"),
    "overflow": ("t.csv", "latency_ms\n1e308\n", "is over a day"),
    "underflow": ("t.csv", "latency_ms\n1e-300\n", "is under a nanosecond"),
    "deep json": ("t.json", "[" * 100_000 + "]" * 100_000, "nests its JSON too deeply"),
    "duplicate key": ("t.json", '{"unit": "ms", "unit": "us", "samples": [1]}', "twice"),
    "mixed list": ("t.json", '[{"latency_ms": 3}, 4]', "Item 2 of t.json is 4"),
    "json as csv": ("t.csv", '{"unit": "ms", "samples": [1]}', "looks like JSON"),
    "a model": ("m.tflite", "TFL3" * 40, "m.tflite is a model file, not a measurement"),
    "latin-1": ("t.csv", "run,latence_µs\n1,12500\n", "save the benchmark_model log or the"),
}


@pytest.mark.parametrize("case", list(MORE_BAD_FILES), ids=list(MORE_BAD_FILES))
def test_more_bad_files_are_one_error_and_store_nothing(
    invoke: Invoke, db_path: Path, tmp_path: Path, lab: dict[str, int], case: str
) -> None:
    name, text, fragment = MORE_BAD_FILES[case]
    path = tmp_path / name
    path.write_bytes(text.encode("latin-1" if case == "latin-1" else "utf-8"))
    before = counts(db_path)
    result = invoke(
        "latency", "import", str(path), str(lab["owner"]), "--device", "R58M41",
        "--delegate", "cpu", "--db", str(db_path),
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    one_error_line(result.stderr, fragment)
    assert counts(db_path) == before


def test_the_host_a_bench_and_odd_device_names_are_refused(
    invoke: Invoke, db_path: Path, tmp_path: Path, lab: dict[str, int]
) -> None:
    with open_store(db_path) as store:
        upsert_device(store, Device(serial="host", kind="host", model="x86_64 box"))
    first = write(tmp_path, "a.csv", "ms\n3\n")
    done = invoke(
        "latency", "import", str(first), str(lab["owner"]), "--device", "R58M41",
        "--delegate", "cpu", "--json", "--db", str(db_path),
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    bench = json.loads(done.stdout)["experiment_id"]
    times = write(tmp_path, "t.csv", "ms\n4\n")
    cases = [
        (("--device", "host"), "host is this machine"),
        (("--device", "x86_64 box"), "is this machine"),
        (("--device", "host:node7", "--model", "N"), "host:node7 is this machine"),
        (("--device", "a/b", "--model", "N"), "'a/b' cannot name a new device"),
        (("--device", "ph`id`", "--model", "N"), "cannot name a new device"),
        (("--device", "pix;rm -rf ~", "--model", "N"), "cannot name a new device"),
    ]
    before = counts(db_path)
    for options, fragment in cases:
        result = invoke(
            "latency", "import", str(times), str(lab["owner"]), *options, "--delegate", "cpu",
            "--db", str(db_path),
        )  # fmt: skip
        assert result.exit_code == 2, (options, result.output)
        one_error_line(result.stderr, fragment)
    as_target = invoke(
        "latency", "import", str(times), str(bench), "--device", "R58M41", "--delegate", "cpu",
        "--db", str(db_path),
    )  # fmt: skip
    assert as_target.exit_code == 2
    one_error_line(as_target.stderr, f"Experiment {bench} is a bench, not a model", "artifact:ID")
    assert counts(db_path) == before


def test_an_unreadable_file_is_one_error(
    invoke: Invoke,
    db_path: Path,
    tmp_path: Path,
    lab: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As root, chmod 000 does not stop a read; the refusal is the same either way."""
    path = write(tmp_path, "locked.csv", "ms\n3\n")

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)
    before = counts(db_path)
    result = invoke(
        "latency", "import", str(path), str(lab["owner"]), "--device", "R58M41",
        "--delegate", "cpu", "--db", str(db_path),
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    one_error_line(result.stderr, "locked.csv cannot be read (Permission denied)")
    assert counts(db_path) == before
