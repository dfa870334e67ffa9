from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from astromorph_nb.data import memory
from astromorph_nb.data.memory import available_memory


def test_available_memory_is_a_non_negative_number_of_bytes_here():
    free = available_memory()
    assert free is None or (isinstance(free, int) and free >= 0)


def _tree(tmp_path: Path, membership: str, files: dict[str, str]) -> tuple[Path, Path]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "cgroup").write_text(membership)
    mount = tmp_path / "sys"
    for name, text in files.items():
        (mount / name).parent.mkdir(parents=True, exist_ok=True)
        (mount / name).write_text(text)
    return tmp_path / "cgroup", mount


def test_cgroup_v2_limit_minus_usage_not_counting_inactive_page_cache(tmp_path):
    membership, mount = _tree(
        tmp_path,
        "0::/user.slice/binder\n",
        {
            "user.slice/binder/memory.max": "2147483648\n",
            "user.slice/binder/memory.current": "1610612736\n",
            "user.slice/binder/memory.stat": "anon 1\nfile 9\ninactive_file 268435456\n",
        },
    )
    # 2 GiB limit, 1.5 GiB used of which 256 MiB is reclaimable cache: 768 MiB left.
    assert memory._cgroup_headroom(membership, mount) == 768 * 2**20


def test_cgroup_v2_without_a_limit_says_nothing(tmp_path):
    membership, mount = _tree(
        tmp_path, "0::/\n", {"memory.max": "max\n", "memory.current": "1000\n"}
    )
    assert memory._cgroup_headroom(membership, mount) is None


def test_cgroup_v1_memory_controller(tmp_path):
    membership, mount = _tree(
        tmp_path,
        "5:cpu,cpuacct:/\n4:memory:/job/42\n0::/\n",
        {
            "memory/job/42/memory.limit_in_bytes": str(4 * 2**30),
            "memory/job/42/memory.usage_in_bytes": str(3 * 2**30),
            "memory/job/42/memory.stat": "cache 5\ntotal_inactive_file 0\n",
        },
    )
    assert memory._cgroup_headroom(membership, mount) == 2**30
    unlimited, mount = _tree(
        tmp_path / "u",
        "4:memory:/\n",
        {
            "memory/memory.limit_in_bytes": "9223372036854771712",
            "memory/memory.usage_in_bytes": "1",
        },
    )
    assert memory._cgroup_headroom(unlimited, mount) is None


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_a_data_ulimit_lowers_the_available_memory():
    script = textwrap.dedent(
        """
        import resource
        from astromorph_nb.data.memory import available_memory
        resource.setrlimit(resource.RLIMIT_DATA, (1 << 40, resource.RLIM_INFINITY))
        big = available_memory()
        with open("/proc/self/status") as status:
            used = next(int(l.split()[1]) * 1024 for l in status if l.startswith("VmData:"))
        resource.setrlimit(resource.RLIMIT_DATA, (used + 300 * 2**20, resource.RLIM_INFINITY))
        print(big, available_memory())
        """
    )
    command = [sys.executable, "-c", script]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    big, capped = (int(value) for value in done.stdout.split())
    assert 290 * 2**20 < capped <= 300 * 2**20
    assert big > capped  # a limit of 1 TiB leaves the machine's free memory as the bound
