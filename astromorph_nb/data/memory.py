"""How much memory this process may still take (data layer).

The free memory of the machine is not the whole answer: a job on a cluster node or a
Binder/JupyterHub server runs in a control group with its own limit, and a process may have
a ``ulimit``. :func:`available_memory` takes the least of what each allows, so decisions
such as "keep a copy of the image stack in memory" respect all of them.
"""

from __future__ import annotations

import os
from pathlib import Path

try:
    import resource
except ImportError:  # Windows
    resource = None  # type: ignore[assignment]

__all__ = ["available_memory"]

_UNLIMITED = 2**62  # cgroup v1 reports "no limit" as a huge number near 2**63


def available_memory() -> int | None:
    """Return the bytes this process may still allocate, or None when nothing says.

    The least of: the kernel's estimate of available memory (``MemAvailable``), what the
    process's control group (v2 or v1) has left, and the head-room under its ``RLIMIT_DATA``
    and ``RLIMIT_AS`` limits. Memory-mapped files count only where the kernel counts them
    (address space, not data).

    Examples
    --------
    >>> free = available_memory()
    >>> free is None or free >= 0
    True
    """
    candidates = [_mem_available(), _cgroup_headroom()]
    if resource is not None:
        candidates.append(_rlimit_headroom(resource.RLIMIT_DATA, "VmData"))
        candidates.append(_rlimit_headroom(resource.RLIMIT_AS, "VmSize"))
    known = [value for value in candidates if value is not None]
    return max(0, min(known)) if known else None


def _read_text(path: Path | str) -> str | None:
    try:
        return Path(path).read_text()
    except (OSError, UnicodeDecodeError):
        return None


def _int_or_none(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(text.strip())
    except ValueError:  # "max" (no limit) or garbage
        return None


def _mem_available() -> int | None:
    text = _read_text("/proc/meminfo")
    if text is not None:
        for line in text.splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # macOS and Windows have no such names
        return None


def _cgroup_headroom(
    membership: Path = Path("/proc/self/cgroup"), mount: Path = Path("/sys/fs/cgroup")
) -> int | None:
    """Limit minus usage of this process's control group (v2 or v1), None without a limit.

    Usage counts the page cache; its inactive part is reclaimed before the limit bites, so
    it is not counted as used (as container runtimes report it).
    """
    text = _read_text(membership)
    if text is None:
        return None
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        hierarchy, controllers, group = parts
        if hierarchy == "0" and controllers == "":
            names = ("memory.max", "memory.current", "inactive_file")
            root = mount
        elif "memory" in controllers.split(","):
            names = ("memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file")
            root = mount / "memory"
        else:
            continue
        for folder in (root / group.lstrip("/"), root):
            limit = _int_or_none(_read_text(folder / names[0]))
            used = _int_or_none(_read_text(folder / names[1]))
            if limit is None or used is None:
                continue
            if limit >= _UNLIMITED:
                break
            return limit - used + _stat_value(folder / "memory.stat", names[2])
    return None


def _stat_value(path: Path, name: str) -> int:
    text = _read_text(path) or ""
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        if key == name:
            return _int_or_none(value) or 0
    return 0


def _rlimit_headroom(which: int, status_field: str) -> int | None:
    soft, _ = resource.getrlimit(which)
    if soft == resource.RLIM_INFINITY:
        return None
    text = _read_text("/proc/self/status")
    if text is None:
        return None
    for line in text.splitlines():
        if line.startswith(f"{status_field}:"):
            return soft - int(line.split()[1]) * 1024
    return None
