"""Damaged CIFAR100 files: one sentence naming the file and how to get a good copy, everywhere.

A bit flipped in the archive used to give a `zlib.error` traceback (or, inside a stored gzip
block, load silently: tarfile never reads far enough for gzip's CRC check), and a truncated
archive was accepted by `train`, queueing a job that could only fail. The archives here come
from the module's own miniature writer, then are damaged the ways downloads and disks do.
"""

from __future__ import annotations

import io
import sqlite3
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from support.cli_errors import one_error_line

from cnnlab.data import (
    DatasetError,
    check_cifar100,
    load_cifar100,
    load_training_data,
    write_cifar100_archive,
)
from cnnlab.data.cifar100 import CIFAR100_MD5, CIFAR100_SHA256

Invoke = Callable[..., Result]


def deflate_start(data: bytes) -> int:
    """Offset of the first deflate block in a gzip file (after its header and file name)."""
    flags = data[3]
    offset = 10
    if flags & 0x04:  # FEXTRA
        offset += 2 + int.from_bytes(data[offset : offset + 2], "little")
    if flags & 0x08:  # FNAME
        offset = data.index(b"\0", offset) + 1
    if flags & 0x10:  # FCOMMENT
        offset = data.index(b"\0", offset) + 1
    return offset + (2 if flags & 0x02 else 0)


def flip_middle(data: bytes) -> bytes:
    damaged = bytearray(data)
    damaged[len(data) // 2] ^= 0x01
    return bytes(damaged)


def bad_block_type(data: bytes) -> bytes:
    # BTYPE 11 is reserved: zlib stops at once with "invalid block type" (a zlib.error).
    damaged = bytearray(data)
    damaged[deflate_start(data)] |= 0b110
    return bytes(damaged)


def flip_crc(data: bytes) -> bytes:
    damaged = bytearray(data)
    damaged[-8] ^= 0xFF
    return bytes(damaged)


def tar_gz(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, payload in members.items():
            info = tarfile.TarInfo(f"cifar-100-python/{name}")
            info.size = len(payload)
            archive.addfile(info, io.BytesIO(payload))
    return buffer.getvalue()


def members_of(data: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        result = {}
        for member in archive.getmembers():
            handle = archive.extractfile(member)
            assert handle is not None
            result[member.name.split("/")[-1]] = handle.read()
        return result


def bad_pickle(data: bytes) -> bytes:
    members = members_of(data)
    members["meta"] = b"\x80\x02}q\x00(X\x05\x00\x00\x00brok"  # cut off mid-pickle
    return tar_gz(members)


def missing_test(data: bytes) -> bytes:
    members = members_of(data)
    del members["test"]
    return tar_gz(members)


DAMAGES: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "one byte flipped in the middle": (flip_middle, "truncated or damaged"),
    "truncated to two thirds": (lambda d: d[: len(d) * 2 // 3], "truncated or damaged"),
    "truncated to its header": (lambda d: d[:20], "truncated or damaged"),
    "invalid deflate block (zlib.error)": (bad_block_type, "invalid block type"),
    "CRC trailer flipped": (flip_crc, "CRC check failed"),
    "not gzip at all": (lambda d: b"<html>404 Not Found</html>" * 40, "truncated or damaged"),
    "a pickle that fails": (bad_pickle, "truncated or damaged"),
    "a missing member": (missing_test, "has no cifar-100-python/test"),
}


@pytest.fixture(scope="module")
def good_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    folder = tmp_path_factory.mktemp("good")
    return write_cifar100_archive(folder / "cifar-100-python.tar.gz", fine_classes=10).read_bytes()


def damaged_archive(tmp_path: Path, good_bytes: bytes, damage: str) -> Path:
    path = tmp_path / "cifar-100-python.tar.gz"
    path.write_bytes(DAMAGES[damage][0](good_bytes))
    return path


@pytest.mark.parametrize("damage", DAMAGES)
def test_inspect_names_the_file_and_the_official_checksums(
    invoke: Invoke, tmp_path: Path, good_bytes: bytes, damage: str
) -> None:
    archive = damaged_archive(tmp_path, good_bytes, damage)
    before = archive.read_bytes()

    result = invoke("data", "inspect", str(archive))

    assert result.exit_code == 2
    one_error_line(
        result.stderr,
        str(archive),
        DAMAGES[damage][1],
        "download it again from https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
        f"md5 {CIFAR100_MD5}",
        f"sha256 {CIFAR100_SHA256}",
    )
    assert result.stdout == ""
    assert archive.read_bytes() == before


@pytest.mark.parametrize("damage", DAMAGES)
def test_train_refuses_a_damaged_archive_before_queueing(
    invoke: Invoke, tmp_path: Path, db_path: Path, good_bytes: bytes, damage: str
) -> None:
    archive = damaged_archive(tmp_path, good_bytes, damage)
    invoke("db", "info", "--db", str(db_path))  # the database exists, empty

    result = invoke("train", "-m", "alexnet", "-d", str(archive), "--db", str(db_path))

    assert result.exit_code == 2
    one_error_line(result.stderr, str(archive), DAMAGES[damage][1], CIFAR100_MD5)
    conn = sqlite3.connect(f"{db_path.as_uri()}?mode=ro", uri=True)
    assert conn.execute("SELECT count(*) FROM experiments").fetchone() == (0,)
    conn.close()
    assert not (db_path.parent / "runs").exists()


def test_a_good_archive_passes_the_checks(tmp_path: Path, good_bytes: bytes) -> None:
    from cnnlab.data import validate_data_spec

    archive = tmp_path / "cifar-100-python.tar.gz"
    archive.write_bytes(good_bytes)

    check_cifar100(archive)
    check_cifar100(tmp_path)  # the folder holding it
    assert validate_data_spec(f"{archive}#labels=coarse") == f"{archive}#labels=coarse"
    assert len(load_cifar100(archive).class_names) == 10


def test_every_flipped_byte_is_found(tmp_path: Path, good_bytes: bytes) -> None:
    """Anywhere past the gzip header (whose mtime and name are not checked), one flipped bit
    is found by reading, by checking before a job, and by the job's own loading."""
    path = tmp_path / "cifar-100-python.tar.gz"
    start = deflate_start(good_bytes)
    for position in range(start, len(good_bytes), len(good_bytes) // 40):
        damaged = bytearray(good_bytes)
        damaged[position] ^= 0x20
        path.write_bytes(damaged)
        for read in (check_cifar100, load_cifar100):
            with pytest.raises(DatasetError, match=r"truncated or damaged|has no cifar"):
                read(path)
        with pytest.raises(DatasetError, match=r"truncated or damaged|has no cifar"):
            load_training_data(str(path), input_size=32, batch=2)


def test_a_damaged_file_in_the_extracted_folder_is_named(
    invoke: Invoke, tmp_path: Path, good_bytes: bytes, db_path: Path
) -> None:
    with tarfile.open(fileobj=io.BytesIO(good_bytes)) as archive:
        archive.extractall(tmp_path, filter="data")
    meta = tmp_path / "cifar-100-python" / "meta"
    meta.write_bytes(meta.read_bytes()[:40])

    inspected = invoke("data", "inspect", str(tmp_path))
    trained = invoke("train", "-m", "alexnet", "-d", str(tmp_path), "--db", str(db_path))

    for result in (inspected, trained):
        assert result.exit_code == 2
        one_error_line(result.stderr, f"CIFAR100 file {meta} is truncated or damaged", "md5")
    assert not db_path.exists()


def test_the_official_checksums_are_the_published_ones() -> None:
    # torchvision's tgz_md5 for cifar-100-python.tar.gz, and the file_hash Keras checks.
    assert CIFAR100_MD5 == "eb9058c3a382ffc7106e4002c42a8d85"
    assert CIFAR100_SHA256 == "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"
