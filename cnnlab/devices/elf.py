"""Which CPU a binary was built for, read from its ELF header, to match it to a phone's ABIs.

Pushing an x86_64 `benchmark_model` to an arm64 phone fails only when run, with a cryptic
"not executable" error; reading `e_machine` first turns that into one clear sentence.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from cnnlab.devices.errors import WrongAbi

# e_machine -> (name, Android ABIs it can run as)
MACHINES: dict[tuple[int, int], tuple[str, tuple[str, ...]]] = {
    (183, 64): ("aarch64", ("arm64-v8a",)),
    (40, 32): ("arm", ("armeabi-v7a", "armeabi")),
    (62, 64): ("x86_64", ("x86_64",)),
    (3, 32): ("x86", ("x86",)),
    (243, 64): ("riscv64", ("riscv64",)),
}


@dataclass(frozen=True)
class ElfArch:
    """The CPU architecture an ELF file targets."""

    machine: int
    bits: int
    name: str
    abis: tuple[str, ...]


def read_elf_arch(path: Path) -> ElfArch:
    """The architecture in `path`'s ELF header; `WrongAbi` when it is no ELF executable."""
    try:
        with path.open("rb") as handle:
            header = handle.read(20)
    except OSError as exc:
        raise WrongAbi(f"Cannot read {path} ({exc.strerror}); check the path.") from exc
    if len(header) < 20 or header[:4] != b"\x7fELF" or header[4] not in (1, 2):
        raise WrongAbi(
            f"{path} is not an ELF executable; download TFLite's android_aarch64 "
            "benchmark_model build and pass that file."
        )
    bits = 64 if header[4] == 2 else 32
    order = "<" if header[5] == 1 else ">"
    (machine,) = struct.unpack(order + "H", header[18:20])
    name, abis = MACHINES.get((machine, bits), (f"e_machine {machine}", ()))
    return ElfArch(machine=machine, bits=bits, name=f"{name} ({bits}-bit)", abis=abis)


def check_abi(path: Path, device_abis: tuple[str, ...], serial: str) -> ElfArch:
    """`path`'s architecture, or `WrongAbi` when the device supports none of its ABIs."""
    arch = read_elf_arch(path)
    if not set(arch.abis) & set(device_abis):
        runs = ", ".join(device_abis) or "an unknown ABI"
        raise WrongAbi(
            f"{path} is built for {arch.name}, but device {serial} runs {runs}; download the "
            "android_aarch64 build of benchmark_model for it."
        )
    return arch
