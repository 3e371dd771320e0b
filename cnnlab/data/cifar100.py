"""CIFAR100 from the official python-version files: the `cifar-100-python` folder or its
`.tar.gz`, read in place (nothing is extracted or downloaded), with fine or coarse labels.

The files are pickles; they are read with an unpickler that only accepts the plain containers and
numpy arrays CIFAR uses, so a tampered file cannot run code. An archive is always read to its end,
so that gzip's CRC finds a flipped bit or a cut-off download; every kind of damage (compression,
tar, pickle, a missing member) is one `DatasetError` naming the file, how to get a good copy and
the official archive's checksums. `check_cifar100` does the same reading before a job is queued.
"""

from __future__ import annotations

import io
import pickle
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal, Protocol

from cnnlab.data.errors import DatasetError

if TYPE_CHECKING:
    import numpy as np

CIFAR100_URL = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
CIFAR100_FOLDER = "cifar-100-python"
CIFAR100_ARCHIVE = "cifar-100-python.tar.gz"
# Checksums of the official archive (the md5 published with it, the sha256 Keras checks), named
# in the errors so that a damaged download can be told from a good one with md5sum or sha256sum.
CIFAR100_MD5 = "eb9058c3a382ffc7106e4002c42a8d85"
CIFAR100_SHA256 = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"
LABEL_MODES = ("fine", "coarse")
_MEMBERS = ("train", "test", "meta")
_ALLOWED_GLOBALS = {
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("_codecs", "encode"),
}
_CHUNK = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b"
# What damaged CIFAR files raise while they are read: the compression layer (zlib.error,
# EOFError for a cut-off stream, gzip.BadGzipFile, an OSError without errno), the tar layer, and
# the pickle (which `_unpickle` turns into UnpicklingError).
_DAMAGE = (
    zlib.error,
    EOFError,
    OSError,
    tarfile.TarError,
    pickle.UnpicklingError,
)


class _Readable(Protocol):
    def read(self, size: int, /) -> bytes: ...


@dataclass(frozen=True)
class Cifar100:
    """CIFAR100 as uint8 arrays (N, 32, 32, 3) with integer labels and their names."""

    source: Path
    label_mode: str
    class_names: tuple[str, ...]
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray


class _CifarUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"unexpected object {module}.{name} in a CIFAR file")


def is_cifar100_path(path: Path) -> bool:
    """Whether `path` looks like CIFAR100 files rather than an image folder."""
    try:
        if path.is_file():
            return path.name.endswith((".tar.gz", ".tgz"))
        return (
            (path / "meta").is_file()
            or (path / CIFAR100_FOLDER).is_dir()
            or (path / CIFAR100_ARCHIVE).is_file()
        )
    except OSError as exc:  # a folder that may not be searched
        raise DatasetError(
            f"Cannot look into {path} ({exc.strerror or exc}); check its permissions."
        ) from exc


def _where_files_go(path: Path) -> str:
    return (
        f"expected the {CIFAR100_FOLDER} folder (with train, test and meta) or "
        f"{CIFAR100_ARCHIVE} at {path} (download it from {CIFAR100_URL})"
    )


def _official() -> str:
    return (
        f"expected the {CIFAR100_ARCHIVE} of the official download, md5 {CIFAR100_MD5}, "
        f"sha256 {CIFAR100_SHA256}"
    )


def _detail(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def _unreadable(path: Path, exc: OSError) -> DatasetError:
    return DatasetError(f"Cannot read {path} ({exc.strerror}); check its permissions.")


def _damaged_archive(archive: Path, exc: BaseException) -> DatasetError:
    if isinstance(exc, OSError) and exc.errno is not None:
        return _unreadable(archive, exc)  # permissions or the disk, not the archive's bytes
    detail = _detail(exc)
    if isinstance(exc, tarfile.ReadError) and detail.startswith("file could not be opened"):
        detail = "not a gzip or tar archive"
    return DatasetError(
        f"CIFAR100 archive {archive} is truncated or damaged ({detail}); download it "
        f"again from {CIFAR100_URL} ({_official()})."
    )


def _damaged_file(file: Path, exc: BaseException) -> DatasetError:
    if isinstance(exc, OSError) and exc.errno is not None:
        return _unreadable(file, exc)
    return DatasetError(
        f"CIFAR100 file {file} is truncated or damaged ({_detail(exc)}); extract it again "
        f"from a fresh download of {CIFAR100_URL} ({_official()})."
    )


def _unpickle(stream: IO[bytes]) -> dict[bytes, Any]:
    try:
        value = _CifarUnpickler(stream, encoding="bytes").load()
    except pickle.UnpicklingError:
        raise
    except Exception as exc:  # damaged pickle bytes can fail in any part of the unpickler
        raise pickle.UnpicklingError(f"{type(exc).__name__}: {_detail(exc)}") from exc
    if not isinstance(value, dict):
        raise pickle.UnpicklingError("not a CIFAR dictionary")
    return value


def _locate(path: Path) -> Path:
    """The CIFAR100 folder or archive that `path` names or holds."""
    if path.is_dir():
        if (path / CIFAR100_FOLDER).is_dir():
            return path / CIFAR100_FOLDER
        if (path / CIFAR100_ARCHIVE).is_file():
            return path / CIFAR100_ARCHIVE
    return path


def _open_mode(archive: Path) -> Literal["r:gz", "r:*"]:
    """Gzip files open as gzip, so that their damage is reported as such, not as "could not be
    opened" after tarfile has tried every other compression; anything else is left to tarfile.
    """
    with archive.open("rb") as handle:
        return "r:gz" if handle.read(2) == _GZIP_MAGIC else "r:*"


def _drain(stream: _Readable) -> None:
    while stream.read(_CHUNK):
        pass


def _read_archive(archive: Path, keep: tuple[str, ...]) -> dict[str, bytes]:
    """The members named in `keep`, from one pass over the archive read to its very end.

    Reading to the end makes gzip check its CRC and length: a flipped bit or a cut-off download
    is found even where the tar headers and the pickles happen to look fine. The other members
    are read through and dropped, so that checking an archive does not hold it in memory.
    """
    found: dict[str, bytes] = {}
    seen: set[str] = set()
    try:
        with tarfile.open(archive, _open_mode(archive)) as tar:
            for member in tar:
                name = member.name.removeprefix("./")
                short = name.removeprefix(f"{CIFAR100_FOLDER}/")
                if name != f"{CIFAR100_FOLDER}/{short}" or short not in _MEMBERS:
                    continue
                handle = tar.extractfile(member)
                if handle is None:
                    continue  # a folder or a link of that name: not the file
                seen.add(short)
                if short in keep:
                    found[short] = handle.read()
                else:
                    _drain(handle)
            if tar.fileobj is not None:
                _drain(tar.fileobj)
    except _DAMAGE as exc:
        raise _damaged_archive(archive, exc) from exc
    missing = [name for name in _MEMBERS if name not in seen]
    if missing:
        raise DatasetError(
            f"CIFAR100 archive {archive} has no {CIFAR100_FOLDER}/{missing[0]}; it is not the "
            f"official archive: download it again from {CIFAR100_URL} ({_official()})."
        )
    return found


def _read_folder(folder: Path, keep: tuple[str, ...]) -> dict[str, dict[bytes, Any]]:
    missing = [name for name in _MEMBERS if not (folder / name).is_file()]
    if missing:
        raise DatasetError(
            f"CIFAR100 file(s) {', '.join(missing)} missing in {folder}; {_where_files_go(folder)}."
        )
    members = {}
    for name in _MEMBERS:
        try:
            with (folder / name).open("rb") as stream:
                if name in keep:
                    members[name] = _unpickle(stream)
                elif not stream.read(1):
                    raise EOFError("empty file")
        except _DAMAGE as exc:
            raise _damaged_file(folder / name, exc) from exc
    return members


def _read_members(path: Path, keep: tuple[str, ...] = _MEMBERS) -> dict[str, dict[bytes, Any]]:
    """The pickles named in `keep`, from an archive, the folder, or a folder that holds either;
    every member is checked to be there (and, in an archive, read).
    """
    path = _locate(path)
    if path.is_dir():
        return _read_folder(path, keep)
    payloads = _read_archive(path, keep)
    members = {}
    for name, payload in payloads.items():
        try:
            members[name] = _unpickle(io.BytesIO(payload))
        except _DAMAGE as exc:
            raise _damaged_archive(path, exc) from exc
    return members


def _class_names(members: dict[str, dict[bytes, Any]], label_mode: str) -> tuple[str, ...]:
    names = members["meta"][f"{label_mode}_label_names".encode()]
    return tuple(name.decode() if isinstance(name, bytes) else str(name) for name in names)


def check_cifar100(path: Path | str) -> None:
    """Check CIFAR100 files before a job is queued, without holding them in memory: every
    member is there, an archive is read to its end (its CRC and length checked) and the label
    names are read from `meta`. The job still reads everything again: nothing is cached.
    """
    path = Path(path).expanduser().absolute()
    if not path.exists():
        raise DatasetError(f"CIFAR100 not found: {_where_files_go(path)}.")
    members = _read_members(path, keep=("meta",))
    try:
        for mode in LABEL_MODES:
            if not _class_names(members, mode):
                raise ValueError(f"meta has no {mode} label names")
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        where = _locate(path)
        if where.is_dir():
            raise _damaged_file(where / "meta", exc) from exc
        raise _damaged_archive(where, exc) from exc


def load_cifar100(path: Path | str, *, label_mode: str = "fine") -> Cifar100:
    """Read CIFAR100 from `path` (the folder, its archive, or a folder holding either)."""
    import numpy as np

    if label_mode not in LABEL_MODES:
        raise DatasetError(f"CIFAR100 label mode must be 'fine' or 'coarse', got {label_mode!r}.")
    path = Path(path).expanduser().absolute()
    if not path.exists():
        raise DatasetError(f"CIFAR100 not found: {_where_files_go(path)}.")
    members = _read_members(path)
    try:
        key = f"{label_mode}_labels".encode()
        class_names = _class_names(members, label_mode)
        arrays = {}
        for split in ("train", "test"):
            data = np.asarray(members[split][b"data"], dtype=np.uint8)
            images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
            labels = np.asarray(members[split][key], dtype=np.int64)
            if len(labels) != len(images):
                raise ValueError(f"{split} has {len(images)} images but {len(labels)} labels")
            if len(labels) and (labels.min() < 0 or labels.max() >= len(class_names)):
                raise ValueError(f"{split} has labels outside 0..{len(class_names) - 1}")
            arrays[split] = (np.ascontiguousarray(images), labels)
    except (KeyError, ValueError, TypeError, AttributeError, IndexError) as exc:
        where = _locate(path)
        raise DatasetError(
            f"CIFAR100 files at {where} do not hold CIFAR100 data ({_detail(exc)}); "
            f"download {CIFAR100_URL} again ({_official()})."
        ) from exc
    return Cifar100(
        path,
        label_mode,
        class_names,
        arrays["train"][0],
        arrays["train"][1],
        arrays["test"][0],
        arrays["test"][1],
    )


def write_cifar100_archive(
    path: Path,
    *,
    train_per_class: int = 2,
    test_per_class: int = 1,
    fine_classes: int = 100,
    seed: int = 0,
) -> Path:
    """Write a tiny CIFAR100-format `.tar.gz` (same keys, shapes and pickling as the official
    one) for tests and demos where the real 160 MB download is not at hand.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    coarse_of_fine = [index % 20 for index in range(fine_classes)]

    def split(per_class: int) -> dict[bytes, Any]:
        fine = np.repeat(np.arange(fine_classes), per_class)
        return {
            b"filenames": [f"img_{i}.png".encode() for i in range(len(fine))],
            b"fine_labels": fine.tolist(),
            b"coarse_labels": [coarse_of_fine[f] for f in fine.tolist()],
            b"data": rng.integers(0, 256, size=(len(fine), 3072), dtype=np.uint8),
        }

    meta = {
        b"fine_label_names": [f"fine_{i}".encode() for i in range(fine_classes)],
        b"coarse_label_names": [f"coarse_{i}".encode() for i in range(20)],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "w:gz") as archive:
        for name, value in (
            ("train", split(train_per_class)),
            ("test", split(test_per_class)),
            ("meta", meta),
        ):
            payload = pickle.dumps(value, protocol=2)
            info = tarfile.TarInfo(f"{CIFAR100_FOLDER}/{name}")
            info.size = len(payload)
            archive.addfile(info, io.BytesIO(payload))
    return path
