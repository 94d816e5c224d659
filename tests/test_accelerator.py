"""ntorch.accelerator (torch.accelerator) forwards to ntorch.cuda; on a machine without a device it says so."""

import pytest

import ntorch


def test_the_tutorial_device_line_and_the_no_device_answers():
    acc = ntorch.accelerator
    device = acc.current_accelerator().type if acc.is_available() else "cpu"
    x = ntorch.ones(3, device=device)
    assert x.device.type == device
    if ntorch.cuda.is_available():  # a GPU, or this process runs under the CUDA simulator
        assert acc.current_accelerator() == ntorch.device("cuda") and acc.device_count() >= 1
        return
    assert acc.is_available() is False and acc.current_accelerator() is None and acc.device_count() == 0
    assert acc.memory_allocated() == acc.max_memory_allocated() == acc.memory_reserved() == 0
    assert acc.memory_stats() == {} and acc.memory.memory_stats() == {}
    acc.empty_cache()
    acc.reset_peak_memory_stats()
    for call in (acc.current_device_index, acc.synchronize, acc.get_memory_info, lambda: acc.set_device_index(0)):
        with pytest.raises(RuntimeError, match="Found no NVIDIA driver"):
            call()


def test_grad_scaler_spellings():
    assert ntorch.GradScaler is ntorch.amp.GradScaler
    assert issubclass(ntorch.cuda.amp.GradScaler, ntorch.amp.GradScaler)  # reachable without importing it first
    with pytest.warns(FutureWarning, match="torch.cuda.amp.GradScaler"):
        scaler = ntorch.cuda.amp.GradScaler(enabled=False)
    assert not scaler.is_enabled()
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        ntorch.cuda.nope  # noqa: B018
