"""F.dropout and the channel dropouts: statistics of the mask, scaling, gradients, modes and errors."""

import numpy as np
import pytest

import ntorch
import ntorch.nn.functional as F


def test_dropout_zeroes_about_p_and_scales_the_rest():
    ntorch.manual_seed(0)
    x = ntorch.rand(20000, dtype=ntorch.float64) + 0.5
    p = 0.3
    y = F.dropout(x, p)
    kept = y.numpy() != 0
    assert abs(kept.mean() - (1 - p)) < 0.02  # 20000 draws: the standard error is about 0.003
    np.testing.assert_allclose(y.numpy()[kept], x.numpy()[kept] / (1 - p))


def test_dropout_gradient_is_the_scaled_mask():
    ntorch.manual_seed(1)
    x = (ntorch.rand(500, dtype=ntorch.float64) + 0.5).requires_grad_()
    y = F.dropout(x, 0.4)
    y.sum().backward()
    mask = y.detach().numpy() != 0
    np.testing.assert_allclose(x.grad.numpy(), mask / 0.6)


def test_dropout_modes_and_errors():
    x = ntorch.rand(4, 5)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    np.testing.assert_array_equal(F.dropout(x, 1.0).numpy(), np.zeros((4, 5)))
    y = x.clone()
    assert F.dropout(y, 0.5, inplace=True) is y
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        F.dropout(x, 1.5)


@pytest.mark.parametrize("fn, shape", [(F.dropout1d, (4, 6, 7)), (F.dropout2d, (4, 6, 3, 3)),
                                       (F.dropout3d, (4, 6, 2, 2, 2)), (F.dropout2d, (6, 3, 3))])
def test_channel_dropout_drops_whole_channels(fn, shape):
    ntorch.manual_seed(2)
    x = ntorch.rand(*shape, dtype=ntorch.float64) + 1.0
    y = fn(x, 0.5).numpy()
    lead = len(shape) - (fn.__name__ == "dropout1d" and 1 or fn.__name__ == "dropout2d" and 2 or 3)
    per_channel = y.reshape(int(np.prod(shape[:lead])), -1)
    ref = x.numpy().reshape(per_channel.shape)
    for row, xrow in zip(per_channel, ref):
        assert (row == 0).all() or np.allclose(row, xrow * 2)
    with pytest.raises(RuntimeError, match="Expected"):
        fn(ntorch.rand(2), 0.5)
