"""Every public function of ntorch and ntorch.nn.functional is either differentiable here (it records a
graph node when an input requires grad, as in PyTorch) or listed as not differentiable, as PyTorch has it.
A new public op that is in neither table fails `test_every_public_op_is_classified`. Gradient values are
checked per family in the other test_autograd_*.py files."""

import inspect

import pytest

import ntorch
import ntorch.nn.functional as F

# Not differentiable in PyTorch: integer/bool results, creation, random, utilities.
NOT_DIFFERENTIABLE = {
    "all", "allclose", "any", "arange", "argmax", "argmin", "argsort", "argwhere", "as_tensor", "bincount",
    "bitwise_and", "bitwise_not", "bitwise_or", "bitwise_xor", "broadcast_shapes", "bucketize", "can_cast",
    "count_nonzero", "empty", "empty_like", "eq", "equal", "eye", "from_dlpack", "from_numpy", "full",
    "full_like", "ge",
    "get_default_dtype", "get_rng_state", "greater", "greater_equal", "gt", "histc", "initial_seed",
    "is_floating_point", "is_grad_enabled", "is_tensor", "isclose", "isfinite", "isinf", "isnan", "le", "less",
    "less_equal", "linspace", "logical_and", "logical_not", "logical_or", "logical_xor", "logspace", "lt",
    "manual_seed", "ne", "nonzero", "normal", "not_equal", "numel", "ones", "ones_like", "promote_types",
    "rand", "rand_like", "randint", "randint_like", "randn", "randn_like", "randperm", "result_type",
    "searchsorted", "seed", "set_default_dtype", "set_rng_state", "tensor", "unique", "unique_consecutive",
    "zeros", "zeros_like", "floor_divide", "one_hot", "save", "load",
    "signbit", "gcd", "lcm", "heaviside", "bitwise_left_shift", "bitwise_right_shift", "isin",
    "is_autocast_enabled", "set_autocast_enabled", "get_autocast_dtype", "set_autocast_dtype",
    "sym_int", "sym_float", "sym_max", "sym_min", "sym_not", "sym_ite", "sym_sum", "sym_sqrt", "sym_fresh_size",
    "sym_constrain_range", "sym_constrain_range_for_size", "is_vulkan_available", "is_distributed", "from_file",
    "solve", "lstsq",
}


def x(*shape):
    return ntorch.randn(*shape, dtype=ntorch.float64, requires_grad=True)


def idx(*values):
    return ntorch.tensor(values, dtype=ntorch.int64)


def _spd():
    a = x(3, 3)
    return a @ a.mT + ntorch.eye(3, dtype=ntorch.float64)


def _tri(upper):
    t = x(3, 3) * 0.1
    return ntorch.eye(3, dtype=ntorch.float64) + (t.triu() if upper else t.tril())


MASK = ntorch.tensor([[True, False, True], [False, True, True]])

# name -> a call on float64 leaves that must produce an output with a grad_fn
CALLS = {
    **{n: (lambda n=n: getattr(ntorch, n)(x(2, 3).abs() * 0.1 + 0.2)) for n in (
        "asinh", "arcsinh", "atanh", "arctanh", "deg2rad", "rad2deg", "positive", "sgn", "sinc", "logit", "lgamma",
        "digamma", "i0", "erfinv",
    )},
    "acosh": lambda: ntorch.acosh(x(2, 3).abs() + 1.5), "arccosh": lambda: ntorch.arccosh(x(2, 3).abs() + 1.5),
    **{n: (lambda n=n: getattr(ntorch, n)(x(2, 3), x(2, 3))) for n in (
        "copysign", "logaddexp", "logaddexp2", "nextafter", "ldexp",
    )},
    "xlogy": lambda: ntorch.xlogy(x(2, 3), x(2, 3).abs() + 0.5),
    "vmap": lambda: ntorch.vmap(lambda v: v.sin())(x(2, 3)),  # a transform: the mapped function's graph
    "cond": lambda: ntorch.cond(True, lambda v: v.sin(), lambda v: v.cos(), (x(2, 3),)),
    "while_loop": lambda: ntorch.while_loop(lambda i, v: i < 2, lambda i, v: (i + 1, v.sin()),
                                            (0, x(2, 3)))[1],
    "conv_tbc": lambda: ntorch.conv_tbc(x(4, 2, 3), x(2, 3, 5), x(5)),
    "norm_except_dim": lambda: ntorch.norm_except_dim(x(2, 3), 2, 0),
    "unfold_copy": lambda: ntorch.unfold_copy(x(6), 0, 2, 1),
    **{n: (lambda n=n: getattr(ntorch, n)(x(2, 3).abs() + 0.5)) for n in (
        "abs", "absolute", "acos", "arccos", "asin", "arcsin", "atan", "arctan", "ceil", "cos", "cosh", "erf", "erfc",
        "exp", "exp2", "expm1", "fix", "floor", "frac", "log", "log10", "log1p", "log2", "neg", "negative",
        "reciprocal", "relu", "round", "rsqrt", "sigmoid", "sign", "silu", "sin", "sinh", "sqrt", "square", "tan",
        "tanh", "trunc", "nan_to_num", "clone", "t", "flatten", "squeeze", "ravel", "msort", "fliplr", "flipud",
        "trace", "diag", "atleast_1d", "atleast_2d", "atleast_3d", "sum", "mean", "prod", "std", "var", "norm",
        "nansum", "max", "min", "amax", "amin", "median", "nanmedian", "logsumexp_all", "std_mean", "var_mean",
    )},
    **{n: (lambda n=n: getattr(ntorch, n)(x(2, 3), x(2, 3))) for n in (
        "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "atan2", "hypot", "maximum",
        "minimum", "fmax", "fmin", "remainder", "fmod", "pow", "float_power", "rsub",
    )},
    "logsumexp": lambda: ntorch.logsumexp(x(2, 3), 1),
    "nanmean": lambda: ntorch.nanmean(x(2, 3), 1), "aminmax": lambda: ntorch.aminmax(x(2, 3), dim=1),
    "cdist": lambda: ntorch.cdist(x(2, 3), x(4, 3)),
    "clamp": lambda: ntorch.clamp(x(2, 3), -0.5, 0.5), "clip": lambda: ntorch.clip(x(2, 3), -0.5, 0.5),
    "clamp_min": lambda: ntorch.clamp_min(x(2, 3), 0.0), "clamp_max": lambda: ntorch.clamp_max(x(2, 3), 0.0),
    "lerp": lambda: ntorch.lerp(x(3), x(3), 0.3), "addcmul": lambda: ntorch.addcmul(x(3), x(3), x(3)),
    "addcdiv": lambda: ntorch.addcdiv(x(3), x(3), x(3).abs() + 1), "where": lambda: ntorch.where(MASK, x(2, 3), 0.0),
    "masked_fill": lambda: ntorch.masked_fill(x(2, 3), MASK, 0.0),
    "matmul": lambda: ntorch.matmul(x(2, 3), x(3, 2)), "mm": lambda: ntorch.mm(x(2, 3), x(3, 2)),
    "bmm": lambda: ntorch.bmm(x(2, 2, 3), x(2, 3, 2)), "mv": lambda: ntorch.mv(x(2, 3), x(3)),
    "dot": lambda: ntorch.dot(x(3), x(3)), "outer": lambda: ntorch.outer(x(3), x(2)),
    "ger": lambda: ntorch.ger(x(3), x(2)), "addmm": lambda: ntorch.addmm(x(2), x(2, 3), x(3, 2)),
    "baddbmm": lambda: ntorch.baddbmm(x(2), x(2, 2, 3), x(2, 3, 2)),
    "addmv": lambda: ntorch.addmv(x(2), x(2, 3), x(3)), "einsum": lambda: ntorch.einsum("ij,jk->ik", x(2, 3), x(3, 2)),
    "kron": lambda: ntorch.kron(x(2, 2), x(2, 2)),
    "reshape": lambda: ntorch.reshape(x(2, 3), (3, 2)), "transpose": lambda: ntorch.transpose(x(2, 3), 0, 1),
    "swapaxes": lambda: ntorch.swapaxes(x(2, 3), 0, 1), "swapdims": lambda: ntorch.swapdims(x(2, 3), 0, 1),
    "permute": lambda: ntorch.permute(x(2, 3), (1, 0)), "movedim": lambda: ntorch.movedim(x(2, 3), 0, 1),
    "moveaxis": lambda: ntorch.moveaxis(x(2, 3), 0, 1), "unsqueeze": lambda: ntorch.unsqueeze(x(2, 3), 0),
    "unflatten": lambda: ntorch.unflatten(x(6), 0, (2, 3)), "narrow": lambda: ntorch.narrow(x(4), 0, 1, 2),
    "select": lambda: ntorch.select(x(2, 3), 1, 0), "unbind": lambda: ntorch.unbind(x(2, 3))[0],
    "broadcast_to": lambda: ntorch.broadcast_to(x(3), (2, 3)),
    "broadcast_tensors": lambda: ntorch.broadcast_tensors(x(1, 3), x(2, 1))[0],
    "cat": lambda: ntorch.cat([x(2), x(3)]), "concat": lambda: ntorch.concat([x(2), x(3)]),
    "concatenate": lambda: ntorch.concatenate([x(2), x(3)]), "stack": lambda: ntorch.stack([x(2), x(2)]),
    "hstack": lambda: ntorch.hstack([x(2), x(2)]), "vstack": lambda: ntorch.vstack([x(2), x(2)]),
    "row_stack": lambda: ntorch.row_stack([x(2), x(2)]), "dstack": lambda: ntorch.dstack([x(2), x(2)]),
    "column_stack": lambda: ntorch.column_stack([x(2), x(2)]),
    "split": lambda: ntorch.split(x(4), 2)[1], "split_with_sizes": lambda: ntorch.split_with_sizes(x(4), [1, 3])[1],
    "tensor_split": lambda: ntorch.tensor_split(x(4), 2)[1], "chunk": lambda: ntorch.chunk(x(4), 2)[1],
    "hsplit": lambda: ntorch.hsplit(x(4), 2)[1], "vsplit": lambda: ntorch.vsplit(x(4, 2), 2)[1],
    "dsplit": lambda: ntorch.dsplit(x(1, 2, 4), 2)[1],
    "flip": lambda: ntorch.flip(x(2, 3), (0,)), "roll": lambda: ntorch.roll(x(2, 3), 1, 1),
    "rot90": lambda: ntorch.rot90(x(2, 3)), "tile": lambda: ntorch.tile(x(2), (2,)),
    "repeat_interleave": lambda: ntorch.repeat_interleave(x(2), 2), "tril": lambda: ntorch.tril(x(3, 3)),
    "triu": lambda: ntorch.triu(x(3, 3)), "diagonal": lambda: ntorch.diagonal(x(3, 3)),
    "diag_embed": lambda: ntorch.diag_embed(x(2, 3)), "block_diag": lambda: ntorch.block_diag(x(2, 2), x(1, 3)),
    "cartesian_prod": lambda: ntorch.cartesian_prod(x(2), x(3)), "meshgrid": lambda: ntorch.meshgrid(x(2), x(3))[0],
    "softmax": lambda: ntorch.softmax(x(2, 3), 1), "log_softmax": lambda: ntorch.log_softmax(x(2, 3), 1),
    "cumsum": lambda: ntorch.cumsum(x(2, 3), 1), "cumprod": lambda: ntorch.cumprod(x(2, 3), 1),
    "cummax": lambda: ntorch.cummax(x(2, 3), 1).values, "cummin": lambda: ntorch.cummin(x(2, 3), 1).values,
    "logcumsumexp": lambda: ntorch.logcumsumexp(x(2, 3), 1), "diff": lambda: ntorch.diff(x(2, 3)),
    "sort": lambda: ntorch.sort(x(2, 3)).values, "topk": lambda: ntorch.topk(x(2, 3), 2).values,
    "kthvalue": lambda: ntorch.kthvalue(x(2, 3), 2).values, "mode": lambda: ntorch.mode(x(2, 3)).values,
    "gather": lambda: ntorch.gather(x(2, 3), 1, idx([0], [2])),
    "index_select": lambda: ntorch.index_select(x(2, 3), 1, idx(0, 2)),
    "take": lambda: ntorch.take(x(2, 3), idx(0, 5)),
    "take_along_dim": lambda: ntorch.take_along_dim(x(2, 3), idx([0], [2]), 1),
    "masked_select": lambda: ntorch.masked_select(x(2, 3), MASK),
    "masked_scatter": lambda: ntorch.masked_scatter(x(2, 3), MASK, x(2, 3)),
    "scatter": lambda: ntorch.scatter(x(2, 3), 1, idx([0], [2]), x(2, 1)),
    "scatter_add": lambda: ntorch.scatter_add(x(2, 3), 1, idx([0], [2]), x(2, 1)),
    "scatter_reduce": lambda: ntorch.scatter_reduce(x(2, 3), 1, idx([0], [2]), x(2, 1), "sum"),
    "index_add": lambda: ntorch.index_add(x(2, 3), 1, idx(0, 2), x(2, 2)),
    "index_copy": lambda: ntorch.index_copy(x(2, 3), 1, idx(0, 2), x(2, 2)),
    "index_fill": lambda: ntorch.index_fill(x(2, 3), 1, idx(0, 2), 1.0),
    "index_put": lambda: ntorch.index_put(x(2, 3), (idx(0, 1),), x(2, 3)[0]),
    "index_put_": lambda: ntorch.index_put_(x(2, 3) * 1, (idx(0, 1),), x(3)),
    "put": lambda: ntorch.put(x(2, 3), idx(0, 4), x(2)),
    # linalg helper: products and factorizations
    "cross": lambda: ntorch.cross(x(2, 3), x(2, 3), dim=1), "vdot": lambda: ntorch.vdot(x(3), x(3)),
    "inner": lambda: ntorch.inner(x(2, 3), x(3)), "tensordot": lambda: ntorch.tensordot(x(2, 3), x(3, 2), 1),
    "chain_matmul": lambda: ntorch.chain_matmul(x(2, 3), x(3, 2)), "addr": lambda: ntorch.addr(x(2, 3), x(2), x(3)),
    "addbmm": lambda: ntorch.addbmm(x(2, 2), x(3, 2, 4), x(3, 4, 2)),
    "matrix_power": lambda: ntorch.matrix_power(x(3, 3), 3), "det": lambda: ntorch.det(x(3, 3)),
    "logdet": lambda: ntorch.logdet(_spd()),
    "slogdet": lambda: ntorch.slogdet(x(3, 3))[1], "inverse": lambda: ntorch.inverse(x(3, 3)),
    "cholesky": lambda: ntorch.cholesky(_spd()),
    "cholesky_solve": lambda: ntorch.cholesky_solve(x(3, 2), _tri(False)),
    "cholesky_inverse": lambda: ntorch.cholesky_inverse(_tri(False)),
    "triangular_solve": lambda: ntorch.triangular_solve(x(3, 2), _tri(True))[0],
    "svd": lambda: ntorch.svd(x(3, 2))[1], "pinverse": lambda: ntorch.pinverse(x(3, 2)),
    "matrix_exp": lambda: ntorch.matrix_exp(x(3, 3)), "qr": lambda: ntorch.qr(x(3, 2))[1],
}
F_NOT_DIFFERENTIABLE = {"one_hot"}
F_CALLS = {
    "conv_tbc": lambda: F.conv_tbc(x(4, 2, 3), x(2, 3, 5), x(5)),
    "elu": lambda: F.elu(x(3)), "celu": lambda: F.celu(x(3)), "selu": lambda: F.selu(x(3)),
    "elu_": lambda: F.elu_(x(3) * 1), "celu_": lambda: F.celu_(x(3) * 1), "selu_": lambda: F.selu_(x(3) * 1),
    "mish": lambda: F.mish(x(3)), "hardswish": lambda: F.hardswish(x(3)), "hardsigmoid": lambda: F.hardsigmoid(x(3)),
    "hardshrink": lambda: F.hardshrink(x(3)), "softshrink": lambda: F.softshrink(x(3)),
    "softsign": lambda: F.softsign(x(3)), "tanhshrink": lambda: F.tanhshrink(x(3)),
    "logsigmoid": lambda: F.logsigmoid(x(3)), "softmin": lambda: F.softmin(x(2, 3), 1), "glu": lambda: F.glu(x(2, 4)),
    "threshold": lambda: F.threshold(x(3), 0.1, 0.0), "threshold_": lambda: F.threshold_(x(3) * 1, 0.1, 0.0),
    "prelu": lambda: F.prelu(x(2, 3), x(3)), "rrelu": lambda: F.rrelu(x(3)), "rrelu_": lambda: F.rrelu_(x(3) * 1),
    "smooth_l1_loss": lambda: F.smooth_l1_loss(x(3), x(3)), "huber_loss": lambda: F.huber_loss(x(3), x(3)),
    "kl_div": lambda: F.kl_div(x(2, 3), x(2, 3).exp(), reduction="batchmean"),
    "soft_margin_loss": lambda: F.soft_margin_loss(x(3), x(3).sign()),
    "margin_ranking_loss": lambda: F.margin_ranking_loss(x(3), x(3), x(3).sign()),
    "hinge_embedding_loss": lambda: F.hinge_embedding_loss(x(3), x(3).sign()),
    "cosine_embedding_loss": lambda: F.cosine_embedding_loss(x(2, 3), x(2, 3), x(2).sign()),
    "poisson_nll_loss": lambda: F.poisson_nll_loss(x(3), x(3).exp()),
    "gaussian_nll_loss": lambda: F.gaussian_nll_loss(x(3), x(3), x(3).exp()),
    "multilabel_soft_margin_loss":
        lambda: F.multilabel_soft_margin_loss(x(2, 3), ntorch.rand(2, 3, dtype=ntorch.float64)),
    "triplet_margin_loss": lambda: F.triplet_margin_loss(x(2, 3), x(2, 3), x(2, 3)),
    "multi_margin_loss": lambda: F.multi_margin_loss(x(2, 3), idx(0, 2)),
    "pairwise_distance": lambda: F.pairwise_distance(x(2, 3), x(2, 3)),
    "cosine_similarity": lambda: F.cosine_similarity(x(2, 3), x(2, 3)), "pdist": lambda: F.pdist(x(3, 2)),
    "pixel_shuffle": lambda: F.pixel_shuffle(x(1, 4, 2, 2), 2),
    "pixel_unshuffle": lambda: F.pixel_unshuffle(x(1, 1, 4, 4), 2),
    "embedding": lambda: F.embedding(idx(0, 2), x(3, 2)),
    "batch_norm": lambda: F.batch_norm(x(2, 3, 2), None, None, x(3), x(3), training=True),
    "instance_norm": lambda: F.instance_norm(x(2, 3, 2)), "group_norm": lambda: F.group_norm(x(2, 4, 2), 2),
    "rms_norm": lambda: F.rms_norm(x(2, 3), (3,)), "local_response_norm": lambda: F.local_response_norm(x(1, 3, 2), 2),
    "scaled_dot_product_attention": lambda: F.scaled_dot_product_attention(x(1, 2, 3), x(1, 2, 3), x(1, 2, 3)),
    "gelu": lambda: F.gelu(x(3)), "softplus": lambda: F.softplus(x(3)), "relu": lambda: F.relu(x(3)),
    "silu": lambda: F.silu(x(3)), "sigmoid": lambda: F.sigmoid(x(3)), "tanh": lambda: F.tanh(x(3)),
    "relu6": lambda: F.relu6(x(3)), "leaky_relu": lambda: F.leaky_relu(x(3)), "hardtanh": lambda: F.hardtanh(x(3)),
    "softmax": lambda: F.softmax(x(2, 3), 1), "log_softmax": lambda: F.log_softmax(x(2, 3), 1),
    "linear": lambda: F.linear(x(2, 3), x(4, 3), x(4)), "layer_norm": lambda: F.layer_norm(x(2, 3), (3,)),
    "normalize": lambda: F.normalize(x(2, 3)), "pad": lambda: F.pad(x(1, 2, 3), (1, 1), mode="reflect"),
    "cross_entropy": lambda: F.cross_entropy(x(2, 3), idx(0, 2)), "nll_loss": lambda: F.nll_loss(x(2, 3), idx(0, 2)),
    "mse_loss": lambda: F.mse_loss(x(3), x(3)), "l1_loss": lambda: F.l1_loss(x(3), x(3)),
    "dropout": lambda: F.dropout(x(3), 0.5), "dropout1d": lambda: F.dropout1d(x(2, 3, 4), 0.5),
    "dropout2d": lambda: F.dropout2d(x(2, 3, 4, 4), 0.5), "dropout3d": lambda: F.dropout3d(x(2, 3, 2, 2, 2), 0.5),
    "binary_cross_entropy": lambda: F.binary_cross_entropy(x(3).sigmoid(), ntorch.rand(3, dtype=ntorch.float64)),
    "binary_cross_entropy_with_logits":
        lambda: F.binary_cross_entropy_with_logits(x(3), ntorch.rand(3, dtype=ntorch.float64)),
    "conv1d": lambda: F.conv1d(x(1, 2, 5), x(3, 2, 2)), "conv2d": lambda: F.conv2d(x(1, 2, 4, 4), x(3, 2, 2, 2)),
    "conv_transpose2d": lambda: F.conv_transpose2d(x(1, 2, 3, 3), x(2, 3, 2, 2)),
    "unfold": lambda: F.unfold(x(1, 2, 4, 4), 2), "fold": lambda: F.fold(x(1, 8, 9), (4, 4), 2),
    "max_pool1d": lambda: F.max_pool1d(x(1, 2, 4), 2), "max_pool2d": lambda: F.max_pool2d(x(1, 2, 4, 4), 2),
    "avg_pool1d": lambda: F.avg_pool1d(x(1, 2, 4), 2), "avg_pool2d": lambda: F.avg_pool2d(x(1, 2, 4, 4), 2),
    "adaptive_avg_pool1d": lambda: F.adaptive_avg_pool1d(x(1, 2, 5), 2),
    "adaptive_avg_pool2d": lambda: F.adaptive_avg_pool2d(x(1, 2, 5, 5), 2),
    "adaptive_max_pool1d": lambda: F.adaptive_max_pool1d(x(1, 2, 5), 2),
    "adaptive_max_pool2d": lambda: F.adaptive_max_pool2d(x(1, 2, 5, 5), 2),
    "max_unpool2d": lambda: F.max_unpool2d(*F.max_pool2d(x(1, 1, 4, 4), 2, return_indices=True), 2),
    "interpolate": lambda: F.interpolate(x(1, 1, 3, 3), scale_factor=2, mode="bilinear"),
    "upsample": lambda: F.upsample(x(1, 1, 3, 3), scale_factor=2),
}
# --- torch.* namespace gaps (ops/misc.py, nn_aliases.py, statistics.py, mathx.py, windows.py, scatter_views.py)
NOT_DIFFERENTIABLE |= {
    "asarray", "bartlett_window", "blackman_window", "detach_", "detach_copy", "empty_strided", "frexp",
    "frombuffer", "gcd_", "get_num_threads", "hamming_window", "hann_window", "histogram", "is_complex",
    "is_inference", "is_inference_mode_enabled", "is_nonzero", "is_same_size", "is_signed", "isneginf", "isposinf",
    "isreal", "kaiser_window", "lcm_", "scalar_tensor", "set_num_threads", "set_printoptions", "tril_indices",
    "triu_indices", "unravel_index",
}
_GAP_UNARY_INPLACE = (
    "abs_ acos_ arccos_ arcsin_ arcsinh_ arctan_ arctanh_ asin_ asinh_ atan_ atanh_ ceil_ cos_ cosh_ deg2rad_ erf_ "
    "erfc_ exp2_ exp_ expm1_ fix_ floor_ frac_ i0_ log10_ log1p_ log2_ log_ logit_ nan_to_num_ neg_ negative_ "
    "rad2deg_ reciprocal_ relu_ round_ rsqrt_ sigmoid_ sin_ sinc_ sinh_ sqrt_ square_ tan_ tanh_ trunc_ zero_"
).split()
CALLS.update({
    **{n: (lambda n=n: getattr(ntorch, n)(x(2, 3).abs() * 0.1 + 0.3)) for n in _GAP_UNARY_INPLACE},
    "acosh_": lambda: ntorch.acosh_(x(3).abs() + 1.5), "arccosh_": lambda: ntorch.arccosh_(x(3).abs() + 1.5),
    "clamp_": lambda: ntorch.clamp_(x(3) * 1, -0.5, 0.5), "clip_": lambda: ntorch.clip_(x(3) * 1, -0.5, 0.5),
    "clamp_min_": lambda: ntorch.clamp_min_(x(3) * 1, 0.0), "clamp_max_": lambda: ntorch.clamp_max_(x(3) * 1, 0.0),
    "fill_": lambda: ntorch.fill_(x(3) * 1, x(())), "ldexp_": lambda: ntorch.ldexp_(x(3) * 1, x(3)),
    "xlogy_": lambda: ntorch.xlogy_(x(3) * 1, x(3).abs() + 0.5), "fill": lambda: ntorch.fill(x(3), x(())),
    "as_strided": lambda: ntorch.as_strided(x(6), (2, 2), (1, 2)),
    "as_strided_copy": lambda: ntorch.as_strided_copy(x(6), (2, 2), (1, 2)),
    **{n: (lambda n=n, a=a: getattr(ntorch, n)(x(2, 3), *a)) for n, a in (
        ("alias_copy", ()), ("diagonal_copy", ()), ("expand_copy", ((2, 2, 3),)), ("narrow_copy", (1, 0, 2)),
        ("permute_copy", ((1, 0),)), ("select_copy", (0, 1)), ("slice_copy", (1, 0, 2)), ("squeeze_copy", ()),
        ("t_copy", ()), ("transpose_copy", (0, 1)), ("unsqueeze_copy", (0,)), ("view_copy", ((3, 2),)),
        ("diagflat", ()), ("dist", (x(2, 3),)), ("renorm", (2, 0, 1.0)),
        ("quantile", (0.3,)), ("nanquantile", (0.3,)), ("cov", ()), ("corrcoef", ()), ("trapezoid", ()),
        ("trapz", ()), ("cumulative_trapezoid", ()), ("hardshrink", ()), ("celu", ()), ("selu", ()),
        ("rrelu", ()), ("threshold", (0.1, 0.0)), ("layer_norm", ((3,),)), ("rms_norm", ((3,),)),
        ("dropout", (0.5, True)), ("pdist", ()), ("cosine_similarity", (x(2, 3),)),
        ("pairwise_distance", (x(2, 3),)), ("prelu", (x(1),)),
    )},
    "split_copy": lambda: ntorch.split_copy(x(4), 2)[1], "unbind_copy": lambda: ntorch.unbind_copy(x(2, 3))[0],
    "split_with_sizes_copy": lambda: ntorch.split_with_sizes_copy(x(4), [1, 3])[1],
    "celu_": lambda: ntorch.celu_(x(3) * 1), "selu_": lambda: ntorch.selu_(x(3) * 1),
    "rrelu_": lambda: ntorch.rrelu_(x(3) * 1), "threshold_": lambda: ntorch.threshold_(x(3) * 1, 0.1, 0.0),
    "dropout_": lambda: ntorch.dropout_(x(3) * 1, 0.5, True),
    "gradient": lambda: ntorch.gradient(x(2, 3))[0], "polygamma": lambda: ntorch.polygamma(1, x(3).abs() + 0.5),
    "mvlgamma": lambda: ntorch.mvlgamma(x(3).abs() + 2, 2), "vander": lambda: ntorch.vander(x(3)),
    "combinations": lambda: ntorch.combinations(x(3)),
    "select_scatter": lambda: ntorch.select_scatter(x(2, 3), x(3), 0, 0),
    "slice_scatter": lambda: ntorch.slice_scatter(x(4), x(2), 0, 0, 2),
    "diagonal_scatter": lambda: ntorch.diagonal_scatter(x(3, 3), x(3)),
    "as_strided_scatter": lambda: ntorch.as_strided_scatter(x(4), x(2), (2,), (2,)),
    "conv1d": lambda: ntorch.conv1d(x(1, 2, 5), x(3, 2, 2)),
    "conv2d": lambda: ntorch.conv2d(x(1, 2, 4, 4), x(3, 2, 2, 2)),
    "conv_transpose1d": lambda: ntorch.conv_transpose1d(x(1, 2, 3), x(2, 3, 2)),
    "conv_transpose2d": lambda: ntorch.conv_transpose2d(x(1, 2, 3, 3), x(2, 3, 2, 2)),
    "max_pool1d": lambda: ntorch.max_pool1d(x(1, 2, 4), 2), "max_pool2d": lambda: ntorch.max_pool2d(x(1, 2, 4, 4), 2),
    "avg_pool1d": lambda: ntorch.avg_pool1d(x(1, 2, 4), 2),
    "adaptive_avg_pool1d": lambda: ntorch.adaptive_avg_pool1d(x(1, 2, 5), 2),
    "adaptive_max_pool1d": lambda: ntorch.adaptive_max_pool1d(x(1, 2, 5), 2)[0],
    "batch_norm": lambda: ntorch.batch_norm(x(2, 3), None, None, None, None, True, 0.1, 1e-5, False),
    "instance_norm": lambda: ntorch.instance_norm(x(2, 3, 4), None, None, None, None, True, 0.1, 1e-5, False),
    "group_norm": lambda: ntorch.group_norm(x(2, 4, 2), 2), "embedding": lambda: ntorch.embedding(x(3, 2), idx(0, 2)),
    "pixel_shuffle": lambda: ntorch.pixel_shuffle(x(1, 4, 2, 2), 2),
    "pixel_unshuffle": lambda: ntorch.pixel_unshuffle(x(1, 1, 4, 4), 2),
    "kl_div": lambda: ntorch.kl_div(x(2, 3), x(2, 3).exp()),
    "binary_cross_entropy_with_logits":
        lambda: ntorch.binary_cross_entropy_with_logits(x(3), ntorch.rand(3, dtype=ntorch.float64)),
    "margin_ranking_loss": lambda: ntorch.margin_ranking_loss(x(3), x(3), x(3).sign()),
    "hinge_embedding_loss": lambda: ntorch.hinge_embedding_loss(x(3), x(3).sign()),
    "cosine_embedding_loss": lambda: ntorch.cosine_embedding_loss(x(2, 3), x(2, 3), x(2).sign()),
    "poisson_nll_loss": lambda: ntorch.poisson_nll_loss(x(3), x(3).exp(), True, False, 1e-8, 1),
    "triplet_margin_loss": lambda: ntorch.triplet_margin_loss(x(2, 3), x(2, 3), x(2, 3)),
})
# --- end of the namespace-gaps block
# --- random samplers and index_reduce (random.py, ops/index_reduce.py): torch records bernoulli/poisson with a
# zero gradient; multinomial is integer; binomial's node only raises NotImplemented in torch
NOT_DIFFERENTIABLE |= {"multinomial", "binomial"}
CALLS.update({
    "bernoulli": lambda: ntorch.bernoulli(x(2, 3).sigmoid()),
    "poisson": lambda: ntorch.poisson(x(2, 3).abs()),
    "index_reduce": lambda: ntorch.index_reduce(x(3, 2), 0, idx(0, 2, 0), x(3, 2), "prod"),
})
F_CALLS["multi_head_attention_forward"] = lambda: F.multi_head_attention_forward(
    x(3, 1, 4), x(3, 1, 4), x(3, 1, 4), 4, 2, x(12, 4), x(12), None, None, False, 0.0, x(4, 4), x(4))[0]
# torch.<name> functions of real-number methods (ops/tensor_methods.py): conj and friends return their input (no
# node of their own, as torch's for real dtypes), is_conj / is_neg are flags, imag raises for real dtypes
NOT_DIFFERENTIABLE |= {"conj", "resolve_conj", "resolve_neg", "conj_physical", "real", "imag", "is_conj", "is_neg"}
CALLS.update({
    "angle": lambda: ntorch.angle(x(2, 3)),
    "adjoint": lambda: ntorch.adjoint(x(2, 3)),
    "arctan2": lambda: ntorch.arctan2(x(2, 3), x(2, 3)),
})
# The loops above build a few names that are not ntorch functions; tolerate only those that exist.
CALLS = {k: v for k, v in CALLS.items() if hasattr(ntorch, k)}
CALLS["logsumexp"] = lambda: ntorch.logsumexp(x(2, 3), 1)
# f_gaps2: 3-d conv/pool, sampling, ctc, embedding_bag, bilinear, alpha dropout
F_CALLS.update({
    "conv3d": lambda: F.conv3d(x(1, 2, 3, 3, 3), x(2, 2, 2, 2, 2)),
    "conv_transpose1d": lambda: F.conv_transpose1d(x(1, 2, 3), x(2, 2, 2)),
    "conv_transpose3d": lambda: F.conv_transpose3d(x(1, 2, 2, 2, 2), x(2, 2, 2, 2, 2)),
    "max_pool3d": lambda: F.max_pool3d(x(1, 1, 2, 2, 2), 2),
    "avg_pool3d": lambda: F.avg_pool3d(x(1, 1, 2, 2, 2), 2),
    "adaptive_avg_pool3d": lambda: F.adaptive_avg_pool3d(x(1, 1, 2, 3, 2), 1),
    "adaptive_max_pool3d": lambda: F.adaptive_max_pool3d(x(1, 1, 2, 3, 2), 1),
    "grid_sample": lambda: F.grid_sample(x(1, 1, 3, 3), x(1, 2, 2, 2), align_corners=False),
    "affine_grid": lambda: F.affine_grid(x(1, 2, 3), (1, 1, 2, 2), align_corners=False),
    "upsample_nearest": lambda: F.upsample_nearest(x(1, 1, 2, 2), scale_factor=2),
    "upsample_bilinear": lambda: F.upsample_bilinear(x(1, 1, 2, 2), scale_factor=2),
    "bilinear": lambda: F.bilinear(x(2, 3), x(2, 2), x(4, 3, 2)),
    "alpha_dropout": lambda: F.alpha_dropout(x(4), 0.5, True),
    "feature_alpha_dropout": lambda: F.feature_alpha_dropout(x(2, 2, 2), 0.5, True),
    "embedding_bag": lambda: F.embedding_bag(idx(0, 1, 2), x(3, 2), idx(0, 2)),
    "ctc_loss": lambda: F.ctc_loss(x(3, 1, 3).log_softmax(2), idx(1, 2), (3,), (2,)),
})

# torch_extras: the identities of real tensors (conj, real, ...), settings and names are not ops
NOT_DIFFERENTIABLE |= {
    "conj", "conj_physical", "resolve_conj", "resolve_neg", "real", "imag", "detach", "is_conj", "is_neg", "range",
    "eig", "symeig", "matrix_rank", "typename", "is_storage", "get_device", "compiled_with_cxx11_abi",
    "use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
    "is_deterministic_algorithms_warn_only_enabled", "set_deterministic_debug_mode", "get_deterministic_debug_mode",
    "set_float32_matmul_precision", "get_float32_matmul_precision", "set_warn_always", "is_warn_always_enabled",
    "set_num_interop_threads", "get_num_interop_threads", "set_flush_denormal", "set_default_device",
    "get_default_device", "nonzero_static",
}
CALLS.update({
    "adjoint": lambda: ntorch.adjoint(x(2, 3)),
    "angle": lambda: ntorch.angle(x(3)),
    "arctan2": lambda: ntorch.arctan2(x(3), x(3)),
    "unsafe_chunk": lambda: ntorch.unsafe_chunk(x(4), 2)[0],
    "unsafe_split": lambda: ntorch.unsafe_split(x(4), 2)[0],
    "unsafe_split_with_sizes": lambda: ntorch.unsafe_split_with_sizes(x(4), (1, 3))[1],
    "frobenius_norm": lambda: ntorch.frobenius_norm(x(2, 3)),
    "nuclear_norm": lambda: ntorch.nuclear_norm(x(2, 3)),
    "lu": lambda: ntorch.lu(x(3, 3))[0],
    "lu_solve": lambda: ntorch.lu_solve(x(3, 1), *ntorch.lu(x(3, 3))),
    "lu_unpack": lambda: ntorch.lu_unpack(*ntorch.lu(x(3, 3)))[1],
    "conv3d": lambda: ntorch.conv3d(x(1, 2, 3, 3, 3), x(2, 2, 2, 2, 2)),
    "conv_transpose3d": lambda: ntorch.conv_transpose3d(x(1, 2, 2, 2, 2), x(2, 2, 2, 2, 2)),
    "bilinear": lambda: ntorch.bilinear(x(2, 3), x(2, 2), x(4, 3, 2)),
    "max_pool3d": lambda: ntorch.max_pool3d(x(1, 1, 2, 2, 2), 2),
    "max_pool1d_with_indices": lambda: ntorch.max_pool1d_with_indices(x(1, 1, 4), 2)[0],
    "constant_pad_nd": lambda: ntorch.constant_pad_nd(x(2, 2), (1, 1)),
    "alpha_dropout": lambda: ntorch.alpha_dropout(x(4), 0.5, True),
    "feature_alpha_dropout": lambda: ntorch.feature_alpha_dropout(x(2, 2, 2), 0.5, True),
    "feature_dropout": lambda: ntorch.feature_dropout(x(2, 2, 2), 0.5, True),
    "ctc_loss": lambda: ntorch.ctc_loss(x(3, 1, 3).log_softmax(2), idx(1, 2), (3,), (2,)),
    "channel_shuffle": lambda: ntorch.channel_shuffle(x(1, 4, 2), 2),
    "native_channel_shuffle": lambda: ntorch.native_channel_shuffle(x(1, 4, 2), 2),
    # differentiable in x only (the derivative in a is not implemented, as torch)
    "igamma": lambda: ntorch.igamma(ntorch.tensor([0.5, 2.0], dtype=ntorch.float64), x(2).abs() + 0.1),
    "igammac": lambda: ntorch.igammac(ntorch.tensor([0.5, 2.0], dtype=ntorch.float64), x(2).abs() + 0.1),
})
F_CALLS["channel_shuffle"] = lambda: F.channel_shuffle(x(1, 4, 2), 2)

# ns_gaps: in-place activations, gumbel softmax, LP / fractional pooling, unpooling, _with_indices aliases, losses
F_CALLS.update({
    "relu_": lambda: F.relu_(x(3) * 1), "leaky_relu_": lambda: F.leaky_relu_(x(3) * 1),
    "hardtanh_": lambda: F.hardtanh_(x(3) * 1),
    "channel_shuffle": lambda: F.channel_shuffle(x(1, 4, 2), 2),
    "native_channel_shuffle": lambda: F.native_channel_shuffle(x(1, 4, 2), 2),
    "gumbel_softmax": lambda: F.gumbel_softmax(x(2, 3), hard=True),
    "lp_pool1d": lambda: F.lp_pool1d(x(1, 1, 4).abs(), 2.0, 2),
    "lp_pool2d": lambda: F.lp_pool2d(x(1, 1, 2, 2).abs(), 2.0, 2),
    "lp_pool3d": lambda: F.lp_pool3d(x(1, 1, 2, 2, 2).abs(), 2.0, 2),
    "max_pool1d_with_indices": lambda: F.max_pool1d_with_indices(x(1, 1, 4), 2)[0],
    "max_pool2d_with_indices": lambda: F.max_pool2d_with_indices(x(1, 1, 2, 2), 2)[0],
    "max_pool3d_with_indices": lambda: F.max_pool3d_with_indices(x(1, 1, 2, 2, 2), 2)[0],
    "adaptive_max_pool1d_with_indices": lambda: F.adaptive_max_pool1d_with_indices(x(1, 1, 4), 2)[0],
    "adaptive_max_pool2d_with_indices": lambda: F.adaptive_max_pool2d_with_indices(x(1, 1, 2, 2), 1)[0],
    "adaptive_max_pool3d_with_indices": lambda: F.adaptive_max_pool3d_with_indices(x(1, 1, 2, 2, 2), 1)[0],
    "max_unpool1d": lambda: F.max_unpool1d(x(1, 1, 2), ntorch.tensor([[[0, 3]]]), 2),
    "max_unpool3d": lambda: F.max_unpool3d(x(1, 1, 1, 1, 1), ntorch.tensor([[[[[5]]]]]), 2),
    "fractional_max_pool2d": lambda: F.fractional_max_pool2d(x(1, 1, 4, 4), 2, output_size=2),
    "fractional_max_pool2d_with_indices": lambda: F.fractional_max_pool2d_with_indices(x(1, 1, 4, 4), 2,
                                                                                       output_size=2)[0],
    "fractional_max_pool3d": lambda: F.fractional_max_pool3d(x(1, 1, 3, 3, 3), 2, output_size=1),
    "fractional_max_pool3d_with_indices": lambda: F.fractional_max_pool3d_with_indices(x(1, 1, 3, 3, 3), 2,
                                                                                       output_size=1)[0],
    "multilabel_margin_loss": lambda: F.multilabel_margin_loss(x(2, 3), ntorch.tensor([[0, -1, 1], [2, 1, -1]])),
    "triplet_margin_with_distance_loss": lambda: F.triplet_margin_with_distance_loss(x(2, 3), x(2, 3), x(2, 3)),
})


# stop 14: function forms of in-place methods, ATen's cell functions, randomized low-rank factorizations
NOT_DIFFERENTIABLE |= {"empty_permuted", "histogramdd", "resize_as_"}
# complex ops (ops/complex.py): complex results reach a real scalar through abs (gradient values: test_complex.py)
CALLS.update({
    "complex": lambda: ntorch.complex(x(2, 3), x(2, 3)).abs(),
    "polar": lambda: ntorch.polar(x(2, 3).abs() + 0.1, x(2, 3)).abs(),
    "view_as_real": lambda: ntorch.view_as_real(ntorch.complex(x(2), x(2))),
    "view_as_complex": lambda: ntorch.view_as_complex(x(3, 2)).abs(),
})
CALLS.update({
    "addmv_": lambda: ntorch.addmv_(x(2) * 1, x(2, 3), x(3)),
    "as_strided_": lambda: ntorch.as_strided_(x(6) * 1, (2, 2), (1, 2)),
    "conj_physical_": lambda: ntorch.conj_physical_(x(3) * 1),
    "alpha_dropout_": lambda: ntorch.alpha_dropout_(x(4) * 1, 0.5, True),
    "feature_alpha_dropout_": lambda: ntorch.feature_alpha_dropout_(x(2, 2, 2) * 1, 0.5, True),
    "feature_dropout_": lambda: ntorch.feature_dropout_(x(2, 2, 2) * 1, 0.5, True),
    "lstm_cell": lambda: ntorch.lstm_cell(x(2, 3), [x(2, 4), x(2, 4)], x(16, 3), x(16, 4), x(16), x(16)),
    "gru_cell": lambda: ntorch.gru_cell(x(2, 3), x(2, 4), x(12, 3), x(12, 4), x(12), x(12)),
    "rnn_tanh_cell": lambda: ntorch.rnn_tanh_cell(x(2, 3), x(2, 4), x(4, 3), x(4, 4)),
    "rnn_relu_cell": lambda: ntorch.rnn_relu_cell(x(2, 3), x(2, 4), x(4, 3), x(4, 4)),
    "svd_lowrank": lambda: ntorch.svd_lowrank(x(5, 4), q=2),
    "pca_lowrank": lambda: ntorch.pca_lowrank(x(5, 4), q=2),
})
F_CALLS["linear_cross_entropy"] = lambda: F.linear_cross_entropy(x(2, 3), x(4, 3), idx(0, 3))
CALLS["compile"] = lambda: ntorch.compile(lambda v: v.sin())(x(2, 3))  # the compiled function's own graph

# signal: stft / istft in the real (..., 2) form
CALLS.update({
    "stft": lambda: ntorch.stft(x(20), 8, window=x(8), return_complex=False),
    "istft": lambda: ntorch.istft(x(5, 11, 2), 8, window=x(8).abs() + 1),
})
# native_ops: ATen's convolution / native_* / grid_sampler / rnn entry points (first output differentiable)
CALLS.update({
    "convolution": lambda: ntorch.convolution(x(1, 2, 3, 3), x(2, 2, 2, 2), None, [1, 1], [0, 0], [1, 1], False,
                                              [0, 0], 1),
    "native_layer_norm": lambda: ntorch.native_layer_norm(x(2, 3), [3], None, None, 1e-5),
    "native_batch_norm": lambda: ntorch.native_batch_norm(x(2, 3), None, None, None, None, True, 0.1, 1e-5),
    "native_group_norm": lambda: ntorch.native_group_norm(x(2, 4, 2), None, None, 2, 4, 2, 2, 1e-5),
    "native_dropout": lambda: ntorch.native_dropout(x(4), 0.5, True),
    "native_norm": lambda: ntorch.native_norm(x(2, 3)),
    "grid_sampler": lambda: ntorch.grid_sampler(x(1, 1, 2, 2), x(1, 1, 1, 2) * 0.5, 0, 0, False),
    "grid_sampler_2d": lambda: ntorch.grid_sampler_2d(x(1, 1, 2, 2), x(1, 1, 1, 2) * 0.5, 0, 0, False),
    "grid_sampler_3d": lambda: ntorch.grid_sampler_3d(x(1, 1, 2, 2, 2), x(1, 1, 1, 1, 3) * 0.5, 0, 0, False),
    "affine_grid_generator": lambda: ntorch.affine_grid_generator(x(1, 2, 3), [1, 1, 2, 2], False),
    "rnn_tanh": lambda: ntorch.rnn_tanh(x(3, 1, 2), x(1, 1, 2), [x(2, 2), x(2, 2)], False, 1, 0.0, False, False,
                                        False),
    "rnn_relu": lambda: ntorch.rnn_relu(x(3, 1, 2), x(1, 1, 2), [x(2, 2), x(2, 2)], False, 1, 0.0, False, False,
                                        False),
    "gru": lambda: ntorch.gru(x(3, 1, 2), x(1, 1, 2), [x(6, 2), x(6, 2)], False, 1, 0.0, False, False, False),
    "lstm": lambda: ntorch.lstm(x(3, 1, 2), (x(1, 1, 2), x(1, 1, 2)), [x(8, 2), x(8, 2)], False, 1, 0.0, False,
                                False, False),
    "embedding_bag": lambda: ntorch.embedding_bag(x(4, 2), idx(0, 3, 1), idx(0, 2), False, 1),
    "segment_reduce": lambda: ntorch.segment_reduce(x(5, 2), "max", lengths=idx(2, 0, 3)),
})


# ns3: legacy-type setter, anomaly / autocast state, interop, geqrf (torch's backward raises "not implemented")
NOT_DIFFERENTIABLE |= {
    "autocast_decrement_nesting", "autocast_increment_nesting", "clear_autocast_cache", "get_autocast_cpu_dtype",
    "get_autocast_gpu_dtype", "is_autocast_cache_enabled", "is_autocast_cpu_enabled", "set_autocast_cache_enabled",
    "set_autocast_cpu_dtype", "set_autocast_cpu_enabled", "set_autocast_gpu_dtype", "is_anomaly_enabled",
    "is_anomaly_check_nan_enabled", "set_anomaly_enabled", "set_default_tensor_type", "hash_tensor", "to_dlpack",
    "geqrf",
}
CALLS.update({
    "orgqr": lambda: ntorch.orgqr(x(3, 2), ntorch.geqrf(x(3, 2).detach())[1]),
    "ormqr": lambda: ntorch.ormqr(x(3, 2), x(2), x(3, 2)),
    "slice_inverse": lambda: ntorch.slice_inverse((x(6) * 1)[1:4], ntorch.zeros(6), 0, 1, 4),
    "lobpcg": lambda: ntorch.lobpcg(_spd(), k=1)[0],
})
# extra_names: view_as_real_copy is differentiable; view_as_complex_copy refuses autograd, as torch's
CALLS["view_as_real_copy"] = lambda: ntorch.view_as_real_copy(ntorch.complex(x(3), x(3)))
NOT_DIFFERENTIABLE |= {"view_as_complex_copy", "embedding_renorm_", "init_num_threads", "get_device_module"}


def _public(module) -> set:
    return {n for n in dir(module) if not n.startswith("_") and callable(getattr(module, n))
            and not inspect.isclass(getattr(module, n)) and not inspect.ismodule(getattr(module, n))}


def test_every_public_op_is_classified():
    assert _public(ntorch) - set(CALLS) - NOT_DIFFERENTIABLE == set()
    assert _public(F) - set(F_CALLS) - F_NOT_DIFFERENTIABLE == set()


@pytest.mark.parametrize("name", sorted(CALLS))
def test_differentiable_op_records_a_node(name):
    out = CALLS[name]()
    out = out[0] if isinstance(out, tuple) else out  # var_mean, std_mean
    assert out.requires_grad and out.grad_fn is not None, f"ntorch.{name} records no graph node"
    out.sum().backward()


@pytest.mark.parametrize("name", sorted(F_CALLS))
def test_differentiable_functional_records_a_node(name):
    out = F_CALLS[name]()
    out = out[0] if isinstance(out, tuple) else out
    assert out.requires_grad and out.grad_fn is not None, f"F.{name} records no graph node"
    out.sum().backward()
