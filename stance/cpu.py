"""Which int8 kernel ONNX Runtime will use on this CPU, read from the CPU's feature flags.

ONNX Runtime's int8 MatMul (MLAS) multiplies uint8 activations by int8 weights with VNNI's
``vpdpbusd`` where the CPU has it (AVX-512 VNNI, AVX-VNNI, or AMX beside them), which sums
into int32 exactly. Without VNNI the same uint8 x int8 kernel uses AVX2's ``vpmaddubsw``, which
sums pairs of products into int16 and saturates; uint8 x uint8 has a kernel that widens first
and is exact everywhere, but uses VNNI only on the few CPUs with AVX-VNNI-INT8. So the model ships its int8 weights both ways
(``training/quantize_int8.py``, "Saturation"): uint8 for every CPU, and a view of the same
weights as int8 for CPUs with VNNI. Both are the same integers, so they give the same scores
where neither saturates; the load-time self-check still runs on whichever is chosen.

>>> has_vnni(frozenset({"avx2", "avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512_vnni"}))
True
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Optional

__all__ = ["cpu_flags", "has_vnni"]

# MLAS takes its AVX-512 VNNI kernel only on CPUs with the AVX-512 core set (F, BW, DQ, VL);
# AVX-VNNI (Alder Lake and later, Zen 5) has its own 256-bit kernel.
_AVX512_VNNI = frozenset({"avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512_vnni"})
_AVX_VNNI = frozenset({"avx2", "avx_vnni"})


@lru_cache(maxsize=1)
def _proc_cpuinfo_flags() -> frozenset[str]:
    return cpu_flags(None)


def cpu_flags(cpuinfo: Optional[str] = None) -> frozenset[str]:
    """The feature flags of the first CPU in ``/proc/cpuinfo`` text (read from the file when
    ``None``); empty where there is no such file (macOS, Windows), which chooses the uint8 weights."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return frozenset()
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            return frozenset(value.split())
    return frozenset()


def has_vnni(flags: Optional[frozenset[str]] = None) -> bool:
    """Whether ONNX Runtime's uint8 x int8 kernel is exact and fast here (VNNI); ``None``: this CPU."""
    flags = _proc_cpuinfo_flags() if flags is None else flags
    return _AVX512_VNNI <= flags or _AVX_VNNI <= flags
