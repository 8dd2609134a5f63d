"""Per-submission limits and the parsing of sizes such as ``512M`` or ``2GB``."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Limits", "parse_size", "format_size"]

_UNITS = {"": 1, "b": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """'512M', '2G', '2GB', '1.5GiB', '1048576' -> bytes (binary units; ValueError if not)."""
    match = _SIZE.match(str(text))
    if not match:
        raise ValueError(f"{text!r} is not a size: use a number with an optional unit, "
                         "e.g. 512M, 2G or 2GB")
    number, unit = float(match.group(1)), match.group(2).lower()
    value = int(number * _UNITS[unit])
    if value < 64 * 2**20:
        raise ValueError(f"{text!r} is too small: a submission needs at least 64M "
                         "beyond what torch itself maps")
    return value


def format_size(value: int) -> str:
    for unit, size in (("G", 2**30), ("M", 2**20), ("K", 2**10)):
        if value >= size and value % size == 0:
            return f"{value // size}{unit}"
    return f"{value / 2**20:.0f}M"


@dataclass(frozen=True)
class Limits:
    """What one submission may use."""

    timeout: float = 60.0  # wall-clock seconds for the whole notebook
    memory: int = 2 * 2**30  # address space beyond the warm worker's own
    nproc: int = 64  # processes the submission may have at once
    fsize: int = 16 * 2**20  # largest file it may write

    def header(self) -> dict[str, float | int]:
        return {"timeout": self.timeout, "memory": self.memory, "nproc": self.nproc,
                "fsize": self.fsize}
