"""A real single-node Slurm (Debian's 22.05 packages) started in a temporary folder for the tests.

No systemd: `slurmctld -i` and `slurmd` run as root with `AuthType=auth/none`, their state,
spool, logs and job-completion file under the folder, and `SLURM_CONF` pointing every Slurm
command at its config. The node offers two CPUs with `CR_CPU`, so two one-CPU jobs fit at once.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PACKAGES = ("slurmctld", "slurmd", "sinfo", "sbatch", "squeue", "scancel", "sacct", "scontrol")
NODE_CPUS = 2


def missing_tools() -> list[str]:
    """Slurm programs this machine lacks (empty when a Slurm can be started)."""
    return [name for name in PACKAGES if shutil.which(name) is None]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _node_name() -> str:
    """The name slurmd registers as (its `slurmd -C` line), normally the short host name."""
    line = subprocess.run(
        ["slurmd", "-C"], capture_output=True, text=True, check=True
    ).stdout.split()
    for part in line:
        if part.startswith("NodeName="):
            return part.split("=", 1)[1]
    return socket.gethostname().split(".")[0]


@dataclass(frozen=True)
class SlurmCluster:
    """A running single-node cluster: its config file and the environment that selects it."""

    folder: Path
    conf: Path
    node: str

    @property
    def env(self) -> dict[str, str]:
        return {"SLURM_CONF": str(self.conf)}

    def run(self, *args: str) -> str:
        """A Slurm command against this cluster; its stdout."""
        result = subprocess.run(
            list(args),
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout


def write_config(folder: Path, node: str) -> Path:
    for sub in ("state", "spool", "log"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    host = socket.gethostname().split(".")[0]
    lines = [
        "ClusterName=cnnlabtest",
        f"SlurmctldHost={host}",
        f"SlurmctldPort={_free_port()}",
        f"SlurmdPort={_free_port()}",
        "AuthType=auth/none",
        "CredType=cred/none",
        "ProctrackType=proctrack/pgid",
        "TaskPlugin=task/none",
        "SelectType=select/cons_tres",
        "SelectTypeParameters=CR_CPU",
        "AccountingStorageType=accounting_storage/none",
        "JobCompType=jobcomp/filetxt",
        f"JobCompLoc={folder / 'jobcomp.txt'}",
        "MailProg=/bin/true",
        "ReturnToService=2",
        "KillWait=5",
        "MinJobAge=300",
        "SchedulerType=sched/backfill",
        f"StateSaveLocation={folder / 'state'}",
        f"SlurmdSpoolDir={folder / 'spool'}",
        f"SlurmctldPidFile={folder / 'slurmctld.pid'}",
        f"SlurmdPidFile={folder / 'slurmd.pid'}",
        f"SlurmctldLogFile={folder / 'log' / 'slurmctld.log'}",
        f"SlurmdLogFile={folder / 'log' / 'slurmd.log'}",
        f"NodeName={node} CPUs={NODE_CPUS} RealMemory=1000 State=UNKNOWN",
        f"PartitionName=test Nodes={node} Default=YES MaxTime=INFINITE State=UP",
    ]
    conf = folder / "slurm.conf"
    conf.write_text("\n".join(lines) + "\n")
    return conf


def _stop(pid_file: Path) -> None:
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)


@contextmanager
def slurm_cluster(folder: Path) -> Iterator[SlurmCluster]:
    """Start slurmctld and slurmd for a config in `folder`, wait for an idle node, stop both."""
    node = _node_name()
    conf = write_config(folder, node)
    cluster = SlurmCluster(folder, conf, node)
    env = {**os.environ, **cluster.env}
    try:
        subprocess.run(["slurmctld", "-i"], env=env, check=True, timeout=30)
        subprocess.run(["slurmd"], env=env, check=True, timeout=30)
        deadline = time.monotonic() + 60
        state = ""
        while time.monotonic() < deadline:
            result = subprocess.run(
                ["sinfo", "-h", "-N", "-o", "%T"],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            state = result.stdout.strip()
            if state == "idle":
                break
            time.sleep(0.2)
        else:
            log = (folder / "log" / "slurmctld.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"the Slurm node never became idle (last: {state!r}):\n{log}")
        yield cluster
    finally:
        _stop(folder / "slurmd.pid")
        _stop(folder / "slurmctld.pid")
