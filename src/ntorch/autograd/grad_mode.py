"""Grad modes: whether ops record the graph. Thread-local, as in PyTorch; each usable as a context
manager and as a decorator."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable


class _State(threading.local):
    enabled = True
    inference = False
    anomaly = False
    anomaly_check_nan = True
    saved_hooks = ()  # (pack, unpack) pairs of autograd.graph.saved_tensors_hooks, innermost last
    saved_hooks_disabled = None  # the message of disable_saved_tensors_hooks while it is active


STATE = _State()


def is_grad_enabled() -> bool:
    return STATE.enabled


def is_inference_mode_enabled() -> bool:
    return STATE.inference


class _Mode:
    """Base of the grad-mode context managers: sets the mode on enter, restores it on exit."""

    def _set(self) -> None:
        raise NotImplementedError

    def __enter__(self):
        self._saved = (STATE.enabled, STATE.inference)
        self._set()
        return self

    def __exit__(self, *exc) -> None:
        STATE.enabled, STATE.inference = self._saved

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__(*self._args()):
                return fn(*args, **kwargs)

        return wrapper

    def _args(self) -> tuple:
        return ()

    def clone(self):
        return self.__class__(*self._args())


class no_grad(_Mode):
    def _set(self) -> None:
        STATE.enabled = False


class enable_grad(_Mode):
    def _set(self) -> None:
        STATE.enabled = True


class set_grad_enabled(_Mode):
    """Usable as a function (sets the mode at once), a context manager or a decorator."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self._prev = STATE.enabled
        STATE.enabled = self.mode

    def _set(self) -> None:
        STATE.enabled = self.mode

    def __exit__(self, *exc) -> None:
        STATE.enabled = self._prev

    def _args(self) -> tuple:
        return (self.mode,)

    def __call__(self, fn: Callable) -> Callable:
        STATE.enabled = self._prev  # as a decorator, the mode applies only inside fn
        return super().__call__(fn)


_INFERENCE_LOCK = threading.Lock()
_inference_blocks = 0  # inference_mode(True) blocks open in all threads: tensor.py marks new tensors while > 0


def _count_inference_block(delta: int) -> None:
    global _inference_blocks
    from ..tensor import set_inference_marking

    with _INFERENCE_LOCK:
        before = _inference_blocks
        _inference_blocks += delta
        if (before == 0) != (_inference_blocks == 0):
            set_inference_marking(_inference_blocks > 0)


class inference_mode(_Mode):
    """torch.inference_mode: grad mode off, and tensors made inside are inference tensors (Tensor.is_inference();
    views of them too): outside the mode they cannot be saved for backward, updated in place or made to require
    grad. inference_mode(False) turns grad mode back on, as torch. Usable bare as a decorator (@inference_mode)."""

    def __new__(cls, mode=True):
        if mode is None or isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)  # @inference_mode without parentheses: mode is the function

    def __init__(self, mode: bool = True) -> None:
        self.mode = bool(mode)

    def __enter__(self):
        self._saved = (STATE.enabled, STATE.inference)
        STATE.enabled, STATE.inference = not self.mode, self.mode
        if self.mode:
            _count_inference_block(1)
        return self

    def __exit__(self, *exc) -> None:
        STATE.enabled, STATE.inference = self._saved
        if self.mode:
            _count_inference_block(-1)

    def _args(self) -> tuple:
        return (self.mode,)


class detect_anomaly:
    """Record each node's forward stack and check backward results for NaN (see engine.py)."""

    def __init__(self, check_nan: bool = True) -> None:
        import warnings

        self.check_nan = check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should only be "
                      "enabled for debugging.", UserWarning, stacklevel=2)

    def __enter__(self):
        self._saved = (STATE.anomaly, STATE.anomaly_check_nan)
        STATE.anomaly, STATE.anomaly_check_nan = True, self.check_nan
        return self

    def __exit__(self, *exc) -> None:
        STATE.anomaly, STATE.anomaly_check_nan = self._saved

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)

        return wrapper


def set_detect_anomaly(mode: bool, check_nan: bool = True) -> None:
    STATE.anomaly, STATE.anomaly_check_nan = bool(mode), check_nan


def is_anomaly_enabled() -> bool:
    return STATE.anomaly
