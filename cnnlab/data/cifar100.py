"""CIFAR100 from the official python-version files: the `cifar-100-python` folder or its
`.tar.gz`, read in place (nothing is extracted or downloaded), with fine or coarse labels.

The files are pickles; they are read with an unpickler that only accepts the plain containers and
numpy arrays CIFAR uses, so a tampered file cannot run code.
"""

from __future__ import annotations

import io
import pickle
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from cnnlab.data.errors import DatasetError

if TYPE_CHECKING:
    import numpy as np

CIFAR100_URL = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
CIFAR100_FOLDER = "cifar-100-python"
CIFAR100_ARCHIVE = "cifar-100-python.tar.gz"
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
    if path.is_file():
        return path.name.endswith((".tar.gz", ".tgz"))
    return (
        (path / "meta").is_file()
        or (path / CIFAR100_FOLDER).is_dir()
        or (path / CIFAR100_ARCHIVE).is_file()
    )


def _where_files_go(path: Path) -> str:
    return (
        f"expected the {CIFAR100_FOLDER} folder (with train, test and meta) or "
        f"{CIFAR100_ARCHIVE} at {path} (download it from {CIFAR100_URL})"
    )


def _unpickle(stream: IO[bytes]) -> dict[bytes, Any]:
    value = _CifarUnpickler(stream, encoding="bytes").load()
    if not isinstance(value, dict):
        raise pickle.UnpicklingError("not a CIFAR dictionary")
    return value


def _read_members(path: Path) -> dict[str, dict[bytes, Any]]:
    """The three pickles of CIFAR100 from an archive, the folder, or a folder that holds either."""
    if path.is_dir():
        if (path / CIFAR100_FOLDER).is_dir():
            path = path / CIFAR100_FOLDER
        elif (path / CIFAR100_ARCHIVE).is_file():
            path = path / CIFAR100_ARCHIVE
    if path.is_dir():
        missing = [name for name in _MEMBERS if not (path / name).is_file()]
        if missing:
            raise DatasetError(
                f"CIFAR100 file(s) {', '.join(missing)} missing in {path}; {_where_files_go(path)}."
            )
        members = {}
        for name in _MEMBERS:
            with (path / name).open("rb") as stream:
                members[name] = _unpickle(stream)
        return members
    with tarfile.open(path, "r:*") as archive:
        members = {}
        for name in _MEMBERS:
            try:
                member = archive.extractfile(f"{CIFAR100_FOLDER}/{name}")
            except KeyError:
                member = None
            if member is None:
                raise DatasetError(
                    f"CIFAR100 archive {path} has no {CIFAR100_FOLDER}/{name}; "
                    f"{_where_files_go(path.parent)}."
                )
            members[name] = _unpickle(io.BytesIO(member.read()))
        return members


def load_cifar100(path: Path | str, *, label_mode: str = "fine") -> Cifar100:
    """Read CIFAR100 from `path` (the folder, its archive, or a folder holding either)."""
    import numpy as np

    if label_mode not in LABEL_MODES:
        raise DatasetError(f"CIFAR100 label mode must be 'fine' or 'coarse', got {label_mode!r}.")
    path = Path(path).expanduser().absolute()
    if not path.exists():
        raise DatasetError(f"CIFAR100 not found: {_where_files_go(path)}.")
    try:
        members = _read_members(path)
        key = f"{label_mode}_labels".encode()
        names_key = f"{label_mode}_label_names".encode()
        class_names = tuple(
            name.decode() if isinstance(name, bytes) else str(name)
            for name in members["meta"][names_key]
        )
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
    except DatasetError:
        raise
    except (
        pickle.UnpicklingError,
        EOFError,
        tarfile.TarError,
        OSError,
        KeyError,
        ValueError,
        TypeError,
        AttributeError,
    ) as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatasetError(
            f"CIFAR100 files at {path} are truncated or damaged ({detail}); "
            f"{_where_files_go(path if path.is_dir() else path.parent)}."
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
