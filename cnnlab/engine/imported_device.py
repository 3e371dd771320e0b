"""The phone an imported latency was measured on: one the database knows, or a new one.

`--device NAME` names a recorded phone by its serial or its recorded model; a phone the
database does not know is recorded when `--model` describes it, under a name an adb serial
could be (letters, digits and `._:-`), so it prints, sorts and filters like an attached one.
The host is never a target: it is this machine, whose latencies `cnnlab bench --device host`
measures itself, and a file measured elsewhere would be filed under its identity.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from cnnlab.errors import CnnlabError
from cnnlab.store import Device, Store, list_devices

HOST = "host"
RECORDED_BY = "cnnlab latency import"
_NEW_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")


@dataclass(frozen=True)
class DeviceIdentity:
    """What `--model`, `--manufacturer` and `--soc` say of a phone the database does not know."""

    model: str | None = None
    manufacturer: str | None = None
    soc: str | None = None

    @property
    def given(self) -> dict[str, str]:
        return {k: v for k, v in asdict(self).items() if v is not None}


def _is_host(serial: str) -> bool:
    return serial.lower() == HOST or serial.lower().startswith(f"{HOST}:")


def imported_device(
    store: Store, name: str, identity: DeviceIdentity, file_name: str
) -> tuple[Device | None, Device | None]:
    """(the stored device NAME names, None) or (None, the new device to record)."""
    devices = list_devices(store)
    if _is_host(name) or any(d.kind == HOST and name in (d.serial, d.model) for d in devices):
        raise CnnlabError(
            f"{name} is this machine, whose latency `cnnlab bench ID --device host` measures "
            "itself; give --device the phone the file was measured on."
        )
    phones = [d for d in devices if d.kind != HOST]
    found = next((d for d in phones if d.serial == name), None)
    if found is None:
        models = [d for d in phones if (d.model or "").lower() == name.lower()]
        if len(models) > 1:
            raise CnnlabError(
                f"Several recorded devices are {name} ({', '.join(d.serial for d in models)}); "
                "give --device SERIAL."
            )
        found = models[0] if models else None
    if found is not None:
        differ = {
            key: getattr(found, key)
            for key, value in identity.given.items()
            if getattr(found, key) != value
        }
        if differ:
            stored = ", ".join(f"{k} {v or '(not known)'}" for k, v in differ.items())
            raise CnnlabError(
                f"Device {found.serial} is already recorded ({stored}); --model, "
                "--manufacturer and --soc describe a new device only, so drop them or give the "
                "new device another name."
            )
        return found, None
    if not identity.model:
        listed = ", ".join(f"{d.serial} ({d.model})" if d.model else d.serial for d in phones)
        raise CnnlabError(
            f"Unknown device {name}; known: {listed or 'none'}; give --model to record a new "
            "one (or attach it and run `cnnlab devices`)."
        )
    if not _NEW_NAME.match(name) or name.lower() == "all":
        raise CnnlabError(
            f"{name!r} cannot name a new device; give a name of letters, digits and ._:- "
            'other than all, as an adb serial is (--device pixel7 --model "Pixel 7").'
        )
    return None, Device(
        serial=name,
        kind="adb",  # the store knows host and phones; an imported phone is one of the latter
        manufacturer=identity.manufacturer,
        model=identity.model,
        soc=identity.soc,
        info={"recorded_by": RECORDED_BY, "first_file": file_name},
    )
