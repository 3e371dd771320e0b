"""A loopback Android phone for tests: the device side of the adb protocol on 127.0.0.1.

Run as a process (`python adb_device.py --root DIR`), it prints `PORT n` and waits for the adb
server (`adb connect 127.0.0.1:n`), so that cnnlab's device layer is tested against a real adb
server; killing the process is a phone unplugged mid-run.

The phone's file system is the folder DIR: every absolute `/data`, `/proc` and `/sys` path in a
shell command or a sync request is rewritten under DIR, so `/data/local/tmp` is `DIR/data/local/tmp`
and `/proc/meminfo`, the cpufreq and thermal files describe a fixed phone (a Samsung SM-G950F,
exynos8895, arm64-v8a, Android 9 / SDK 28, 8 cores). `getprop` and `taskset` are small shell
shims in `DIR/.bin` (the host may have fewer cores than the mask names, so `taskset` checks and
records the mask, then runs the command).

`benchmark_model`: there is no Android binary to run here. When a file whose name is
`benchmark_model` is pushed and its ELF header says aarch64, the phone keeps the pushed bytes in
`DIR/.pushed/...` and puts a launcher in its place that runs `benchmark_model_standin.py` (LiteRT,
the official output format). Any other file is stored as pushed, so a wrong-ABI binary fails to
run exactly as it would on a phone.

Modes: `device` (answers CNXN with the banner), `unauthorized` (answers with AUTH tokens and
never accepts a key, as a phone whose prompt was not accepted), `offline` (never answers).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import secrets
import signal
import struct
import sys
from pathlib import Path


def _tag(name: bytes) -> int:
    return int.from_bytes(name, "little")


CNXN, OPEN, OKAY, CLSE, WRTE, AUTH = (
    _tag(t) for t in (b"CNXN", b"OPEN", b"OKAY", b"CLSE", b"WRTE", b"AUTH")
)
VERSION = 0x01000001
MAX_DATA = 1 << 20
HEADER = struct.Struct("<6I")
AUTH_TOKEN, AUTH_SIGNATURE, AUTH_RSAPUBLICKEY = 1, 2, 3
SHELL_STDOUT, SHELL_STDERR, SHELL_EXIT = 1, 2, 3
EM_AARCH64 = 183

PROPS = {
    "ro.product.manufacturer": "samsung",
    "ro.product.brand": "samsung",
    "ro.product.model": "SM-G950F",
    "ro.product.name": "dreamltexx",
    "ro.product.device": "dreamlte",
    "ro.product.board": "universal8895",
    "ro.board.platform": "exynos5",
    "ro.hardware": "samsungexynos8895",
    "ro.hardware.chipname": "exynos8895",
    "ro.product.cpu.abi": "arm64-v8a",
    "ro.product.cpu.abilist": "arm64-v8a,armeabi-v7a,armeabi",
    "ro.build.version.release": "9",
    "ro.build.version.sdk": "28",
    "ro.build.fingerprint": (
        "samsung/dreamltexx/dreamlte:9/PPR1.180610.011/G950FXXU6DTK4:user/release-keys"
    ),
    "ro.serialno": "ce0117114ca0a21a05",
}
CPU_MAX_KHZ = (1690000,) * 4 + (2314000,) * 4
MEM_TOTAL_KB = 3735552
THERMAL_ZONES = (("BIG", 36000), ("LITTLE", 34000), ("battery", 29000))
STANDIN = Path(__file__).with_name("benchmark_model_standin.py")
_PHONE_PATH = re.compile(r"(?<![\w/.\-])/(data|proc|sys)(?=/|\b)")


def build_sandbox(root: Path) -> None:
    """Lay out the phone's files under `root` (idempotent)."""
    (root / "data/local/tmp").mkdir(parents=True, exist_ok=True)
    (root / "proc").mkdir(exist_ok=True)
    (root / "proc/meminfo").write_text(
        f"MemTotal:        {MEM_TOTAL_KB} kB\nMemFree:          812344 kB\n"
        "MemAvailable:    2104412 kB\n"
    )
    (root / "proc/cpuinfo").write_text(
        "".join(f"processor\t: {i}\nBogoMIPS\t: 52.00\n\n" for i in range(len(CPU_MAX_KHZ)))
        + "Hardware\t: Samsung EXYNOS8895\n"
    )
    for index, khz in enumerate(CPU_MAX_KHZ):
        freq = root / f"sys/devices/system/cpu/cpu{index}/cpufreq"
        freq.mkdir(parents=True, exist_ok=True)
        (freq / "cpuinfo_max_freq").write_text(f"{khz}\n")
    for index, (kind, milli) in enumerate(THERMAL_ZONES):
        zone = root / f"sys/class/thermal/thermal_zone{index}"
        zone.mkdir(parents=True, exist_ok=True)
        (zone / "type").write_text(kind + "\n")
        (zone / "temp").write_text(f"{milli}\n")
    (root / ".props").write_text("".join(f"[{k}]: [{v}]\n" for k, v in PROPS.items()))
    bin_dir = root / ".bin"
    bin_dir.mkdir(exist_ok=True)
    _script(
        bin_dir / "getprop",
        f"P={_sh(root / '.props')}\n"
        'if [ $# -eq 0 ]; then cat "$P"; else\n'
        '  sed -n "s/^\\[$1\\]: \\[\\(.*\\)\\]\\$/\\1/p" "$P"\nfi\n',
    )
    _script(
        bin_dir / "taskset",
        'case "$1" in ""|*[!0-9a-fA-F]*) echo "taskset: bad mask $1" >&2; exit 1;; esac\n'
        f'echo "$1" >> {_sh(root / ".taskset")}\nshift\nexec "$@"\n',
    )


def _sh(path: Path) -> str:
    return "'" + str(path).replace("'", "'\\''") + "'"


def _script(path: Path, body: str) -> None:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)


def _packet(command: int, arg0: int, arg1: int, data: bytes = b"") -> bytes:
    header = HEADER.pack(
        command, arg0, arg1, len(data), sum(data) & 0xFFFFFFFF, command ^ 0xFFFFFFFF
    )
    return header + data


class Stream:
    """One adb stream: at most one WRTE in flight, each answered by the host's OKAY."""

    def __init__(self, link: Link, local_id: int, remote_id: int) -> None:
        self.link = link
        self.local_id = local_id
        self.remote_id = remote_id
        self.closed = False
        self._may_send = asyncio.Event()
        self._may_send.set()
        self._send_lock = asyncio.Lock()
        self._incoming = bytearray()
        self._arrived = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.process: asyncio.subprocess.Process | None = None

    async def write(self, data: bytes) -> None:
        async with self._send_lock:
            for start in range(0, len(data), self.link.max_data):
                await self._may_send.wait()
                if self.closed:
                    return
                self._may_send.clear()
                chunk = data[start : start + self.link.max_data]
                self.link.send(WRTE, self.local_id, self.remote_id, chunk)

    async def read_exact(self, size: int) -> bytes:
        while len(self._incoming) < size:
            if self.closed:
                raise EOFError
            self._arrived.clear()
            await self._arrived.wait()
        data = bytes(self._incoming[:size])
        del self._incoming[:size]
        return data

    def received(self, data: bytes) -> None:
        self._incoming += data
        self._arrived.set()
        self.link.send(OKAY, self.local_id, self.remote_id)

    def okayed(self) -> None:
        self._may_send.set()

    async def close(self) -> None:
        async with self._send_lock:
            if not self.closed:
                self.closed = True
                self.link.send(CLSE, self.local_id, self.remote_id)
        self.link.streams.pop(self.local_id, None)

    def host_closed(self) -> None:
        self.closed = True
        self._may_send.set()
        self._arrived.set()
        self.link.streams.pop(self.local_id, None)
        if self.process is not None and self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)


class Link:
    """One TCP connection from the adb server: the transport all streams share."""

    def __init__(self, phone: Phone, writer: asyncio.StreamWriter) -> None:
        self.phone = phone
        self.writer = writer
        self.max_data = MAX_DATA
        self.streams: dict[int, Stream] = {}
        self._next_id = 1

    def send(self, command: int, arg0: int, arg1: int, data: bytes = b"") -> None:
        if not self.writer.is_closing():
            self.writer.write(_packet(command, arg0, arg1, data))

    async def serve(self, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                header = await reader.readexactly(HEADER.size)
                command, arg0, arg1, length, _checksum, _magic = HEADER.unpack(header)
                data = await reader.readexactly(length) if length else b""
                self.dispatch(command, arg0, arg1, data)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            for stream in list(self.streams.values()):
                stream.host_closed()
            self.writer.close()

    def dispatch(self, command: int, arg0: int, arg1: int, data: bytes) -> None:
        mode = self.phone.mode
        if command == CNXN:
            self.max_data = min(arg1 or MAX_DATA, MAX_DATA)
            if mode == "device":
                self.send(CNXN, VERSION, MAX_DATA, self.phone.banner())
            elif mode == "unauthorized":
                self.send(AUTH, AUTH_TOKEN, 0, secrets.token_bytes(20))
        elif command == AUTH and mode == "unauthorized":
            if arg0 == AUTH_SIGNATURE:  # refuse every key: the user never tapped "Allow"
                self.send(AUTH, AUTH_TOKEN, 0, secrets.token_bytes(20))
        elif command == OPEN and mode == "device":
            self.open(arg0, data.rstrip(b"\0").decode("utf-8", "replace"))
        elif command == OKAY:
            stream = self.streams.get(arg1)
            if stream is not None:
                stream.okayed()
        elif command == WRTE:
            stream = self.streams.get(arg1)
            if stream is not None:
                stream.received(data)
        elif command == CLSE:
            stream = self.streams.get(arg1)
            if stream is not None:
                stream.host_closed()

    def open(self, remote_id: int, service: str) -> None:
        if service.startswith("shell"):
            options, _, command = service.partition(":")
            if not command:
                self.send(CLSE, 0, remote_id)
                return
            stream = self._new_stream(remote_id)
            v2 = "v2" in options.split(",")[1:]
            stream.task = asyncio.ensure_future(self.phone.run_shell(stream, command, v2))
        elif service == "sync:":
            stream = self._new_stream(remote_id)
            stream.task = asyncio.ensure_future(self.phone.serve_sync(stream))
        else:
            self.send(CLSE, 0, remote_id)

    def _new_stream(self, remote_id: int) -> Stream:
        local_id = self._next_id
        self._next_id += 1
        stream = Stream(self, local_id, remote_id)
        self.streams[local_id] = stream
        self.send(OKAY, local_id, remote_id)
        return stream


class Phone:
    """The phone's behaviour: its identity, its shell, and its file system over sync."""

    def __init__(self, root: Path, mode: str) -> None:
        self.root = root
        self.mode = mode
        build_sandbox(root)

    def banner(self) -> bytes:
        return (
            f"device::ro.product.name={PROPS['ro.product.name']};"
            f"ro.product.model={PROPS['ro.product.model']};"
            f"ro.product.device={PROPS['ro.product.device']};features=shell_v2,cmd\0"
        ).encode()

    def phone_path(self, path: str) -> Path:
        return self.root / path.lstrip("/")

    def rewrite(self, command: str) -> str:
        return _PHONE_PATH.sub(lambda m: f"{self.root}/{m.group(1)}", command)

    async def run_shell(self, stream: Stream, command: str, v2: bool) -> None:
        env = {
            "PATH": f"{self.root / '.bin'}:/usr/bin:/bin",
            "HOME": str(self.root / "data/local/tmp"),
            "TMPDIR": str(self.root / "data/local/tmp"),
            "LANG": "C.UTF-8",
            "CNNLAB_LOOPBACK_ROOT": str(self.root),
        }
        process = await asyncio.create_subprocess_exec(
            "/bin/sh",
            "-c",
            self.rewrite(command),
            cwd=self.root,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE if v2 else asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        stream.process = process

        async def pump(pipe: asyncio.StreamReader | None, frame_id: int) -> None:
            if pipe is None:
                return
            while chunk := await pipe.read(65536):
                await stream.write(_frame(frame_id, chunk) if v2 else chunk)

        await asyncio.gather(pump(process.stdout, SHELL_STDOUT), pump(process.stderr, SHELL_STDERR))
        code = await process.wait()
        if v2:
            await stream.write(_frame(SHELL_EXIT, bytes([code & 0xFF])))
        await stream.close()

    async def serve_sync(self, stream: Stream) -> None:
        try:
            while True:
                request, length = struct.unpack("<4sI", await stream.read_exact(8))
                if request == b"QUIT":
                    break
                argument = (await stream.read_exact(length)).decode("utf-8", "replace")
                if request == b"STAT":
                    await stream.write(b"STAT" + self._stat(self.phone_path(argument)))
                elif request == b"LIST":
                    await self._list(stream, self.phone_path(argument))
                elif request == b"SEND":
                    await self._receive_file(stream, argument)
                elif request == b"RECV":
                    await self._send_file(stream, self.phone_path(argument))
                else:
                    await _fail(stream, f"unknown sync request {request!r}")
                    break
        except EOFError:
            return
        await stream.close()

    @staticmethod
    def _stat(path: Path) -> bytes:
        try:
            info = path.stat()
        except OSError:
            return bytes(12)
        return struct.pack("<III", info.st_mode, info.st_size & 0xFFFFFFFF, int(info.st_mtime))

    async def _list(self, stream: Stream, folder: Path) -> None:
        with contextlib.suppress(OSError):
            for entry in sorted(folder.iterdir()):
                name = entry.name.encode()
                await stream.write(
                    b"DENT" + self._stat(entry) + struct.pack("<I", len(name)) + name
                )
        await stream.write(b"DONE" + bytes(16))

    async def _receive_file(self, stream: Stream, spec: str) -> None:
        path_text, _, mode_text = spec.rpartition(",")
        mode = int(mode_text) & 0o777 if mode_text.isdigit() else 0o644
        content = bytearray()
        while True:
            kind, size = struct.unpack("<4sI", await stream.read_exact(8))
            if kind == b"DATA":
                content += await stream.read_exact(size)
            elif kind == b"DONE":
                break
            else:
                await _fail(stream, f"unexpected {kind!r} in SEND")
                return
        target = self.phone_path(path_text)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.name == "benchmark_model" and _elf_machine(bytes(content)) == EM_AARCH64:
                original = self.root / ".pushed" / path_text.lstrip("/")
                original.parent.mkdir(parents=True, exist_ok=True)
                original.write_bytes(content)
                target.write_text(
                    f'#!/bin/sh\nexec {_sh(Path(sys.executable))} {_sh(STANDIN)} "$@"\n'
                )
            else:
                target.write_bytes(content)
            target.chmod(mode)
        except OSError as exc:
            await _fail(stream, f"{path_text}: {exc.strerror}")
            return
        await stream.write(b"OKAY" + bytes(4))

    async def _send_file(self, stream: Stream, path: Path) -> None:
        try:
            content = path.read_bytes()
        except OSError as exc:
            await _fail(stream, f"{exc.strerror}")
            return
        for start in range(0, len(content), 65536):
            chunk = content[start : start + 65536]
            await stream.write(b"DATA" + struct.pack("<I", len(chunk)) + chunk)
        await stream.write(b"DONE" + bytes(4))


def _frame(frame_id: int, payload: bytes) -> bytes:
    return struct.pack("<BI", frame_id, len(payload)) + payload


async def _fail(stream: Stream, message: str) -> None:
    data = message.encode()
    await stream.write(b"FAIL" + struct.pack("<I", len(data)) + data)


def _elf_machine(content: bytes) -> int | None:
    if len(content) < 20 or content[:4] != b"\x7fELF":
        return None
    order = "<" if content[5] == 1 else ">"
    machine: int = struct.unpack(order + "H", content[18:20])[0]
    return machine


async def _main(root: Path, mode: str) -> None:
    phone = Phone(root, mode)

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await Link(phone, writer).serve(reader)

    while True:
        server = await asyncio.start_server(accept, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        if not 5555 <= port <= 5585:  # the adb server attaches those ports on its own
            break
        server.close()
    print(f"PORT {port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with server:
        await stop.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--mode", choices=("device", "unauthorized", "offline"), default="device")
    args = parser.parse_args()
    asyncio.run(_main(args.root.resolve(), args.mode))
