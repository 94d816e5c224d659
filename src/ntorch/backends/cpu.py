"""torch.backends.cpu."""

from __future__ import annotations

__all__ = ["get_cpu_capability"]


def get_cpu_capability() -> str:
    """The widest SIMD level of this CPU in torch's names ("AVX512", "AVX2", "DEFAULT"), from LLVM's view of
    the host, which is what Numba compiles ntorch's kernels for."""
    from llvmlite import binding

    features = binding.get_host_cpu_features()
    if all(features.get(f, False) for f in ("avx512f", "avx512bw", "avx512vl", "avx512dq")):
        return "AVX512"
    if features.get("avx2", False) and features.get("fma", False):
        return "AVX2"
    return "DEFAULT"
