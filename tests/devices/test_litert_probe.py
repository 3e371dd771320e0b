"""A model that crashes LiteRT in native code is found in a throw-away process, told apart from
one LiteRT refuses, and a host benchmark of it fails with a sentence instead of dying."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.xnnpack_crash import double_free_tflite

from cnnlab.devices import ModelNotLoadable, benchmark_host
from cnnlab.devices.litert_probe import BUILTIN, probe


@pytest.fixture
def crashing(tmp_path: Path) -> Path:
    path = tmp_path / "double-free.tflite"
    path.write_bytes(double_free_tflite())
    return path


def test_a_crash_a_refusal_and_a_clean_run_are_told_apart(crashing: Path, tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.tflite"
    garbage.write_bytes(b"not a flatbuffer at all")

    crashed = probe(crashing)
    ran = probe(crashing, resolver=BUILTIN, batch=4)
    refused = probe(garbage)

    assert crashed.crashed and crashed.detail.startswith("SIGABRT")
    assert "double free" in crashed.detail
    assert ran.ran and not ran.crashed
    assert refused.outcome == "refused" and "Flatbuffer" in refused.detail


def test_a_host_bench_with_the_delegate_that_crashes_fails_with_the_way_past_it(
    crashing: Path,
) -> None:
    with pytest.raises(ModelNotLoadable) as refused:
        benchmark_host(crashing, runs=3, warmup=1, delegate="xnnpack")

    assert "crashes running double-free.tflite" in str(refused.value)
    assert "SIGABRT" in str(refused.value) and "--delegate cpu" in str(refused.value)
    measured = benchmark_host(crashing, runs=3, warmup=1, delegate="cpu")
    assert len(measured.samples_us) == 3


def test_a_probe_with_no_answer_in_time_is_slow_and_does_not_block_the_model(
    crashing: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A huge model on a slow host must not be failed as a crash because its probe was slow."""
    from cnnlab.devices import litert_probe

    monkeypatch.setattr(litert_probe, "PROBE_TIMEOUT_S", 0.001)
    slow = probe(crashing)
    assert slow.outcome == "slow" and slow.ran and not slow.crashed
