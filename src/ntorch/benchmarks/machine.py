"""What a result file records about the machine and the software, so figures can be compared honestly."""

from __future__ import annotations

import os
import platform
import sys
from typing import Any

THREAD_VARS = ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else what the platform module knows."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def gpu_name() -> str | None:
    """The current CUDA device's name as ntorch sees it (the simulator's when it stands in), or None."""
    try:
        import ntorch.cuda

        return ntorch.cuda.get_device_name() if ntorch.cuda.is_available() else None
    except Exception:
        return None


def torch_cuda_info(torch_mod: Any) -> dict | None:
    """PyTorch's device and the TF32 switches it ran with (off: float32 matmuls compare like for like)."""
    if torch_mod is None or not torch_mod.cuda.is_available():
        return None
    return {"gpu": torch_mod.cuda.get_device_name(), "matmul_allow_tf32": torch_mod.backends.cuda.matmul.allow_tf32,
            "cudnn_allow_tf32": torch_mod.backends.cudnn.allow_tf32}


def machine_info(device: str, torch_mod: Any) -> dict:
    import numba
    import numpy

    import ntorch

    threads = {"numba": numba.config.NUMBA_NUM_THREADS, "env": {v: os.environ.get(v) for v in THREAD_VARS}}
    if torch_mod is not None:
        threads["torch"] = torch_mod.get_num_threads()
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "gpu": gpu_name() if device == "cuda" else None,
        "torch_cuda": torch_cuda_info(torch_mod) if device == "cuda" else None,
        "versions": {
            "python": platform.python_version(),
            "ntorch": ntorch.__version__,
            "numba": numba.__version__,
            "numpy": numpy.__version__,
            "torch": None if torch_mod is None else torch_mod.__version__.split("+")[0],
        },
        "threads": threads,
        "executable": sys.executable,
    }
