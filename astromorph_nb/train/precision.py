"""Whether this CPU computes bfloat16 natively, and a warning when it does not (train layer).

bfloat16 autocast pays off on a CPU only with matrix units that multiply bfloat16 in
hardware: Intel's AMX (Sapphire Rapids and later). Elsewhere PyTorch converts to and from
float32 around every operation; on an AMD EPYC with AVX512_BF16 but no AMX, training ran at
5.7 images per second in bfloat16 against 50.7 in float32.
"""

from __future__ import annotations

import warnings

import torch

from astromorph_nb.exceptions import AstromorphWarning

__all__ = ["cpu_has_fast_bf16", "warn_if_bf16_is_slow"]


def cpu_has_fast_bf16() -> bool | None:
    """Return True if this CPU has AMX tiles, False if not, None if PyTorch cannot tell.

    Examples
    --------
    >>> cpu_has_fast_bf16() in (True, False, None)
    True
    """
    is_supported = getattr(torch.cpu, "_is_amx_tile_supported", None)
    if is_supported is None:  # a PyTorch without the query: assume nothing
        return None
    return bool(is_supported())


def warn_if_bf16_is_slow(device: torch.device) -> None:
    """Warn that bfloat16 training will be slow if ``device`` is a CPU without AMX.

    The choice stays the user's: training still runs in bfloat16.

    Warns
    -----
    AstromorphWarning
        On a CPU that lacks AMX (Intel Sapphire Rapids and later have it).
    """
    if device.type != "cpu" or cpu_has_fast_bf16() is not False:
        return
    capability = torch.backends.cpu.get_cpu_capability()
    msg = (
        f'precision="bf16" will train slowly on this CPU ({capability}): it lacks AMX, the '
        "matrix units that compute bfloat16 in hardware (Intel Sapphire Rapids and later), "
        "so every operation converts to and from float32 (measured 9x slower than float32 "
        'on an AMD EPYC). Use precision="fp32" (or "auto") on this machine.'
    )
    warnings.warn(msg, AstromorphWarning, stacklevel=3)
