"""torch's ecosystem modules scripts touch: compile/compiler, jit, backends, version, cpu, nn.attention and
profiler. Expected behaviour is torch 2.13's (quoted in comments, observed in torch); values against numpy."""

import json
import re
import time
import typing
import warnings

import numpy as np
import pytest

import ntorch
import ntorch.backends.cuda
import ntorch.backends.cudnn
from ntorch import nn
from ntorch.backends import _flags
from ntorch.nn.attention import SDPBackend, sdpa_kernel
from ntorch.profiler import ProfilerAction, ProfilerActivity, profile, record_function, schedule


@pytest.fixture(autouse=True)
def _restore_global_state():
    """Every test here flips process-wide flags: put them back."""
    precision = ntorch.get_float32_matmul_precision()
    cudnn = dict(ntorch.backends.cudnn._values)
    sdp = dict(ntorch.backends.cuda._sdp)
    matmul = dict(ntorch.backends.cuda._matmul)
    yield
    _flags._state["frozen"] = False
    ntorch.set_float32_matmul_precision(precision)
    ntorch.backends.cudnn._values.update(cudnn)
    ntorch.backends.cuda._sdp.update(sdp)
    ntorch.backends.cuda._matmul.update(matmul)


def _np(t):
    return t.detach().numpy()


# -- compile ---------------------------------------------------------------------------------------------------
def f(v):
    return v.sin() * 2 + 1


def test_compile_function_same_values_and_wrapper():
    x = ntorch.randn(3, 4, dtype=ntorch.float64)
    g = ntorch.compile(f)
    np.testing.assert_array_equal(_np(g(x)), np.sin(_np(x)) * 2 + 1)
    # torch: a new callable, functools.wraps'd, with the original at _torchdynamo_orig_callable
    assert g is not f and g.__name__ == "f" and g._torchdynamo_orig_callable is f


def test_compile_as_decorator_with_and_without_parentheses():
    @ntorch.compile
    def a(v):
        return v + 1

    @ntorch.compile(fullgraph=True, dynamic=False, backend="eager", mode="max-autotune")
    def b(v):
        return v * 3

    x = ntorch.tensor([1.0, 2.0])
    np.testing.assert_array_equal(_np(a(x)), [2.0, 3.0])
    np.testing.assert_array_equal(_np(b(x)), [3.0, 6.0])


def test_compile_argument_errors():
    with pytest.raises(RuntimeError, match="Model can't be None"):
        ntorch.compile()(None)
    with pytest.raises(RuntimeError, match="Either mode or options can be specified"):
        ntorch.compile(f, mode="default", options={})
    with pytest.raises(RuntimeError, match="Unrecognized mode=fast, should be one of: default, lite, "
                                           "reduce-overhead, max-autotune-no-cudagraphs, max-autotune"):
        ntorch.compile(f, mode="fast")
    with pytest.raises(RuntimeError, match=re.escape("Invalid backend: 'nope', see `torch._dynamo.list_backends()`")):
        ntorch.compile(f, backend="nope")
    with pytest.raises(AssertionError, match="A callable function is expected, but <class 'int'> is provided."):
        ntorch.compile(3)


def test_compile_disable_and_callable_backend():
    assert ntorch.compile(f, disable=True) is f  # torch hands the model back untouched
    g = ntorch.compile(f, backend=lambda gm, example_inputs: gm, options={"trace.enabled": True})
    x = ntorch.tensor([0.5])
    np.testing.assert_array_equal(_np(g(x)), _np(f(x)))


def test_compiled_function_gradients_match():
    x = ntorch.randn(5, dtype=ntorch.float64, requires_grad=True)
    ntorch.compile(f)(x).sum().backward()
    np.testing.assert_allclose(_np(x.grad), 2 * np.cos(_np(x)))


def _mlp():
    ntorch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))


def test_compiled_module_forward_and_state_dict_keys():
    model = _mlp()
    compiled = ntorch.compile(model)
    assert type(compiled).__name__ == "OptimizedModule" and isinstance(compiled, nn.Module)
    x = ntorch.randn(5, 3)
    np.testing.assert_array_equal(_np(compiled(x)), _np(model(x)))
    # torch: ['_orig_mod.0.weight', '_orig_mod.0.bias', '_orig_mod.2.weight', '_orig_mod.2.bias']
    assert list(compiled.state_dict()) == ["_orig_mod.0.weight", "_orig_mod.0.bias", "_orig_mod.2.weight",
                                           "_orig_mod.2.bias"]
    assert list(compiled._orig_mod.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert compiled._orig_mod is model
    assert [id(p) for p in compiled.parameters()] == [id(p) for p in model.parameters()]
    assert "(_orig_mod): Sequential(" in repr(compiled)


def test_compiled_module_checkpoint_round_trip(tmp_path):
    compiled = ntorch.compile(_mlp())
    path = str(tmp_path / "ckpt.pt")
    ntorch.save(compiled._orig_mod.state_dict(), path)
    ntorch.manual_seed(1)
    fresh = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    fresh.load_state_dict(ntorch.load(path))
    x = ntorch.randn(2, 3)
    np.testing.assert_array_equal(_np(fresh(x)), _np(compiled(x)))
    # and the prefixed dict loads back into a compiled wrapper
    other = ntorch.compile(nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)))
    other.load_state_dict(compiled.state_dict())
    np.testing.assert_array_equal(_np(other(x)), _np(compiled(x)))


def test_compiled_module_attributes_fall_through():
    lin = nn.Linear(2, 3)
    c = ntorch.compile(lin)
    assert c.weight is lin.weight and c.in_features == 2 and c.out_features == 3
    c.foo = 5  # torch: writes go to the wrapped module
    assert lin.foo == 5 and "foo" not in c.__dict__
    del c.foo
    assert not hasattr(lin, "foo")
    c.eval()
    assert lin.training is False and c.training is False
    lin.train()
    assert c.training is True
    with pytest.raises(AttributeError):
        c.no_such_attribute  # noqa: B018


def test_compiled_module_hooks_and_backward():
    lin = nn.Linear(2, 1)
    seen = []
    lin.register_forward_hook(lambda mod, args, out: seen.append(out.shape))
    c = ntorch.compile(lin)
    x = ntorch.randn(4, 2)
    c(x).sum().backward()
    assert seen == [(4, 1)]
    np.testing.assert_allclose(_np(lin.weight.grad), _np(x).sum(0, keepdims=True), rtol=1e-6)


def test_compiler_helpers():
    assert ntorch.compiler.disable(f) is f
    assert ntorch.compiler.disable(recursive=False)(f) is f
    assert ntorch.compiler.is_compiling() is False
    assert ntorch.compiler.is_dynamo_compiling() is False
    assert ntorch.compiler.is_exporting() is False
    assert ntorch.compiler.reset() is None
    assert ntorch.compiler.compile is ntorch.compile
    assert ntorch.compiler.nested_compile_region(f) is f and ntorch.compiler.nested_compile_region()(f) is f
    assert ntorch.compiler.list_backends() == ["cudagraphs", "inductor", "openxla", "tvm"]
    assert "eager" in ntorch.compiler.list_backends(None)
    ntorch.compiler.set_default_backend("eager")
    try:
        assert ntorch.compiler.get_default_backend() == "eager"
    finally:
        ntorch.compiler.set_default_backend("inductor")


# -- jit -------------------------------------------------------------------------------------------------------
def test_jit_script_returns_its_argument():
    lin = nn.Linear(2, 2)
    assert ntorch.jit.script(lin) is lin and ntorch.jit.script(f) is f


def test_jit_trace_runs_example_inputs_once():
    calls = []

    def g(a, b):
        calls.append((a.shape, b.shape))
        return a + b

    assert ntorch.jit.trace(g, (ntorch.ones(2), ntorch.ones(2))) is g
    assert calls == [((2,), (2,))]
    lin = nn.Linear(2, 3)
    assert ntorch.jit.trace(lin, ntorch.ones(1, 2)) is lin  # a lone Tensor is the 1-tuple
    with pytest.raises(RuntimeError):  # the model fails on the example, as torch's trace does
        ntorch.jit.trace(lin, ntorch.ones(1, 5))
    with pytest.raises(TypeError):  # torch: 'NoneType' object is not iterable
        ntorch.jit.trace(g)
    assert ntorch.jit.trace(g, example_kwarg_inputs={"a": ntorch.ones(1), "b": ntorch.ones(1)}) is g
    assert ntorch.jit.trace_module(lin, {"forward": ntorch.ones(3, 2)}) is lin


def test_jit_decorators_with_and_without_parentheses():
    @ntorch.jit.ignore
    def a():
        return 1

    @ntorch.jit.ignore(drop=True)
    def b():
        return 2

    @ntorch.jit.unused
    def c():
        return 3

    @ntorch.jit.export
    def d():
        return 4

    assert (a(), b(), c(), d()) == (1, 2, 3, 4)
    assert a._torchscript_modifier == ntorch.jit.FunctionModifiers.IGNORE
    assert b._torchscript_modifier == ntorch.jit.FunctionModifiers.UNUSED
    with pytest.raises(RuntimeError, match="Argument to @torch.jit.ignore must be a bool or a function but got 3"):
        ntorch.jit.ignore(3)


def test_jit_queries_and_names():
    assert ntorch.jit.is_scripting() is False and ntorch.jit.is_tracing() is False
    assert ntorch.jit.Final is typing.Final
    assert ntorch.jit.annotate(list[int], [1]) == [1]
    assert ntorch.jit.fork(lambda v: v + 1, 2).wait() == 3


def test_jit_save_load_point_to_ntorch_save(tmp_path):
    for call in (lambda: ntorch.jit.save(nn.Linear(1, 1), str(tmp_path / "m.pt")),
                 lambda: ntorch.jit.load(str(tmp_path / "m.pt"))):
        with pytest.raises(RuntimeError, match="ntorch.save"):
            call()


# -- backends --------------------------------------------------------------------------------------------------
def test_cudnn_flags_round_trip_and_type_check():
    cudnn = ntorch.backends.cudnn
    # torch defaults: enabled True, benchmark False, deterministic False, allow_tf32 True
    assert (cudnn.enabled, cudnn.benchmark, cudnn.deterministic, cudnn.allow_tf32) == (True, False, False, True)
    cudnn.benchmark = True
    cudnn.deterministic = True
    assert cudnn.benchmark is True and cudnn.deterministic is True
    with pytest.raises(RuntimeError, match="set_benchmark_cudnn expects a bool, but got int"):
        cudnn.benchmark = 1
    assert cudnn.is_available() is False and cudnn.version() is None  # no cuDNN behind ntorch
    with cudnn.flags(enabled=False, benchmark=True):
        assert cudnn.enabled is False and cudnn.benchmark is True
    assert cudnn.enabled is True


def test_disable_global_flags_forces_the_context_manager():
    ntorch.backends.disable_global_flags()
    assert ntorch.backends.flags_frozen()
    with pytest.raises(RuntimeError, match="not allowed to set ntorch.backends.cudnn flags after "
                                           "disable_global_flags"):
        ntorch.backends.cudnn.benchmark = True
    with ntorch.backends.cudnn.flags(enabled=True, benchmark=True):
        assert ntorch.backends.cudnn.benchmark is True
    assert ntorch.backends.cudnn.benchmark is False


def test_matmul_allow_tf32_is_float32_matmul_precision():
    matmul = ntorch.backends.cuda.matmul
    ntorch.set_float32_matmul_precision("highest")
    assert matmul.allow_tf32 is False
    matmul.allow_tf32 = True  # torch: 'high'
    assert ntorch.get_float32_matmul_precision() == "high"
    matmul.allow_tf32 = False
    assert ntorch.get_float32_matmul_precision() == "highest"
    ntorch.set_float32_matmul_precision("medium")
    assert matmul.allow_tf32 is True
    with pytest.raises(RuntimeError, match="set_allow_tf32_cublas expects a bool, but got int"):
        matmul.allow_tf32 = 1
    ntorch.set_float32_matmul_precision("highest")
    assert matmul.fp32_precision == "none"  # torch's newer API: 'tf32' <-> 'high'
    matmul.fp32_precision = "tf32"
    assert ntorch.get_float32_matmul_precision() == "high" and matmul.fp32_precision == "tf32"
    matmul.fp32_precision = "ieee"
    assert ntorch.get_float32_matmul_precision() == "highest" and matmul.fp32_precision == "ieee"
    with pytest.raises(RuntimeError, match="Unknown precision: foo"):
        matmul.fp32_precision = "foo"
    with pytest.raises(RuntimeError, match="Unknown precision: foo"):
        ntorch.backends.cudnn.fp32_precision = "foo"


def test_matmul_reduced_precision_flags():
    matmul = ntorch.backends.cuda.matmul
    assert matmul.allow_fp16_reduced_precision_reduction is True
    assert matmul.allow_bf16_reduced_precision_reduction is True
    matmul.allow_fp16_reduced_precision_reduction = (False, False)
    assert matmul.allow_fp16_reduced_precision_reduction is False
    assert matmul.allow_fp16_reduced_precision_reduction_split_k is False
    matmul.allow_bf16_reduced_precision_reduction = False
    assert matmul.allow_bf16_reduced_precision_reduction is False
    with pytest.raises(TypeError, match="allow_fp16_reduced_precision_reduction expects a bool or a tuple/list of "
                                        "bools, but got <class 'int'>"):
        matmul.allow_fp16_reduced_precision_reduction = 1
    with pytest.raises(AttributeError, match="Unknown attribute foo"):
        matmul.foo = 1
    with pytest.raises(AttributeError, match="Unknown attribute foo"):
        matmul.foo  # noqa: B018


def test_sdp_flags_and_linalg_preference():
    cuda = ntorch.backends.cuda
    assert all((cuda.flash_sdp_enabled(), cuda.mem_efficient_sdp_enabled(), cuda.math_sdp_enabled(),
                cuda.cudnn_sdp_enabled()))
    cuda.enable_flash_sdp(False)
    assert cuda.flash_sdp_enabled() is False and cuda.math_sdp_enabled() is True
    with pytest.raises(RuntimeError, match="expects a bool, but got int"):
        cuda.enable_math_sdp(1)
    assert str(cuda.preferred_linalg_library()) == "_LinalgBackend.Default"
    assert cuda.preferred_linalg_library("magma").name == "Magma"
    assert cuda.preferred_linalg_library().name == "Magma"
    cuda.preferred_linalg_library("default")
    with pytest.raises(RuntimeError, match="Unknown input value. Choose from: default, cusolver, magma."):
        cuda.preferred_linalg_library("lapack")
    assert isinstance(cuda.is_built(), bool)


def test_other_backends():
    b = ntorch.backends
    assert b.mps.is_available() is False and b.mps.is_built() is False
    assert b.mkldnn.is_available() is False and b.mkldnn.enabled is True
    assert b.openmp.is_available() is True  # Numba's OpenMP layer, which ntorch selects
    import importlib.util
    assert b.opt_einsum.is_available() is (importlib.util.find_spec("opt_einsum") is not None)
    assert b.opt_einsum.enabled is b.opt_einsum.is_available()
    assert b.cpu.get_cpu_capability() in ("AVX512", "AVX2", "DEFAULT")


# -- version, cpu ----------------------------------------------------------------------------------------------
def test_version_module():
    v = ntorch.version
    assert v.__version__ == ntorch.__version__ and v.debug is False and v.hip is None
    assert v.cuda is None or re.fullmatch(r"\d+\.\d+", v.cuda)
    assert v.git_version == "Unknown" or re.fullmatch(r"[0-9a-f]{40}", v.git_version)
    with pytest.raises(AttributeError):
        v.nothing  # noqa: B018


def test_cpu_module():
    cpu = ntorch.cpu
    assert cpu.is_available() is True and cpu.device_count() == 1 and cpu.current_device() == "cpu"
    assert cpu.synchronize() is None and cpu.is_initialized() is True
    default = cpu.current_stream()
    s = cpu.Stream()
    with cpu.stream(s):
        assert cpu.current_stream() is s
    assert cpu.current_stream() is default
    with cpu.StreamContext(None):
        assert cpu.current_stream() is default
    assert cpu.get_capabilities()["architecture"]


# -- nn.attention ----------------------------------------------------------------------------------------------
def test_sdpa_kernel_sets_and_restores_flags():
    cuda = ntorch.backends.cuda
    assert [int(b) for b in SDPBackend] == [-1, 0, 1, 2, 3, 4] and str(SDPBackend.MATH) == "SDPBackend.MATH"
    with sdpa_kernel(SDPBackend.MATH) as ctx:
        assert ctx == {}
        assert (cuda.math_sdp_enabled(), cuda.flash_sdp_enabled(), cuda.mem_efficient_sdp_enabled(),
                cuda.cudnn_sdp_enabled()) == (True, False, False, False)
    with sdpa_kernel([SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION]):
        assert (cuda.math_sdp_enabled(), cuda.flash_sdp_enabled(), cuda.mem_efficient_sdp_enabled()) == \
            (False, True, True)
    assert cuda.math_sdp_enabled() and cuda.flash_sdp_enabled() and cuda.cudnn_sdp_enabled()
    with pytest.raises(AssertionError, match="Backend must be an instance of SDPBackend or a list of SDPBackend "
                                             "instances, got str"):
        with sdpa_kernel("math"):
            pass


def test_sdpa_kernel_leaves_attention_values_alone():
    q, k, v = (ntorch.randn(1, 2, 3, 4, dtype=ntorch.float64) for _ in range(3))
    F = ntorch.nn.functional
    out = F.scaled_dot_product_attention(q, k, v)
    with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
        np.testing.assert_array_equal(_np(F.scaled_dot_product_attention(q, k, v)), _np(out))
    assert ntorch.nn.modules.attention.MultiheadAttention is nn.MultiheadAttention


def test_deprecated_sdp_kernel_warns_and_delegates():
    with pytest.warns(FutureWarning, match="sdp_kernel\\(\\)` is deprecated"):
        with ntorch.backends.cuda.sdp_kernel(enable_flash=False, enable_cudnn=False):
            assert not ntorch.backends.cuda.flash_sdp_enabled() and ntorch.backends.cuda.math_sdp_enabled()
    assert ntorch.backends.cuda.flash_sdp_enabled()


# -- profiler --------------------------------------------------------------------------------------------------
def _rows(table: str) -> dict:
    """Name -> (self total text, total text, calls) from a key_averages() table."""
    rows = {}
    for line in table.splitlines()[3:]:
        parts = line.split()
        if len(parts) == 7 and not parts[0].startswith("-"):
            rows[parts[0]] = parts[1:]
    return rows


def test_profile_table_lists_labels_with_counts():
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True, profile_memory=True, with_stack=True) as prof:
        for _ in range(3):
            with record_function("forward"):
                time.sleep(0.002)
        with record_function("backward"):
            time.sleep(0.004)
    table = prof.key_averages().table(sort_by="cpu_time_total", row_limit=10)
    lines = table.splitlines()
    assert lines[1].split() == ["Name", "Self", "CPU", "%", "Self", "CPU", "CPU", "total", "%", "CPU", "total",
                                "CPU", "time", "avg", "#", "of", "Calls"]
    rows = _rows(table)
    assert set(rows) == {"forward", "backward"}
    assert rows["forward"][-1] == "3" and rows["backward"][-1] == "1"
    assert lines[-1].startswith("Self CPU time total: ")
    by_key = {e.key: e for e in prof.key_averages()}
    assert by_key["forward"].count == 3 and by_key["forward"].cpu_time_total >= 3 * 2000  # microseconds
    assert by_key["backward"].cpu_time_total >= 4000
    assert by_key["forward"].cpu_time == pytest.approx(by_key["forward"].cpu_time_total / 3)


def test_profile_self_time_excludes_nested_ranges():
    with profile() as prof:
        with record_function("outer"):
            time.sleep(0.002)
            with record_function("inner"):
                time.sleep(0.01)
    ev = {e.key: e for e in prof.key_averages()}
    outer, inner = ev["outer"], ev["inner"]
    assert outer.cpu_time_total >= inner.cpu_time_total >= 10_000
    assert outer.self_cpu_time_total == pytest.approx(outer.cpu_time_total - inner.cpu_time_total, abs=1.0)
    assert inner.self_cpu_time_total == pytest.approx(inner.cpu_time_total)
    top = prof.key_averages().table(top_level_events_only=True)
    assert "outer" in top and "inner" not in top


def test_table_sort_and_row_limit():
    with profile() as prof:
        for _ in range(4):
            with record_function("many"):
                pass
        with record_function("once"):
            time.sleep(0.002)
    by_count = prof.key_averages().table(sort_by="count", row_limit=1)
    assert list(_rows(by_count)) == ["many"]
    by_time = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=-1)
    assert list(_rows(by_time)) == ["once", "many"]


def test_ranges_outside_a_profile_are_not_recorded():
    with record_function("before"):
        pass
    with profile() as prof:
        with record_function("during"):
            pass
    with record_function("after"):
        pass
    assert [e.key for e in prof.events()] == ["during"]


def test_record_function_as_decorator():
    @record_function("decorated")
    def work(v):
        return v * 2

    with profile() as prof:
        assert work(3) == 6 and work(4) == 8
    assert {e.key: e.count for e in prof.key_averages()} == {"decorated": 2}


def test_schedule_actions_match_torch():
    # torch: schedule(wait=1, warmup=1, active=2, repeat=1) over steps 0..5
    s = schedule(wait=1, warmup=1, active=2, repeat=1)
    A = ProfilerAction
    assert [s(i) for i in range(6)] == [A.NONE, A.WARMUP, A.RECORD, A.RECORD_AND_SAVE, A.NONE, A.NONE]
    s2 = schedule(wait=0, warmup=1, active=1, skip_first=2)
    assert [s2(i) for i in range(6)] == [A.NONE, A.NONE, A.WARMUP, A.RECORD_AND_SAVE, A.WARMUP, A.RECORD_AND_SAVE]
    with pytest.raises(AssertionError, match="Invalid profiler schedule arguments"):
        schedule(wait=0, warmup=0, active=0)
    with pytest.warns(UserWarning, match="Profiler won't be using warmup"):
        schedule(wait=0, warmup=0, active=1)


def test_scheduled_profile_calls_on_trace_ready_per_cycle():
    ready = []

    def handler(p):
        ready.append(sorted(e.key for e in p.events()))

    with profile(schedule=schedule(wait=1, warmup=1, active=2, repeat=2), on_trace_ready=handler) as prof:
        for step in range(10):
            with record_function(f"work{step}"):
                pass
            prof.step()
    # cycle 1 records steps 2, 3; cycle 2 steps 6, 7 (each step also has its ProfilerStep#N range)
    assert ready == [["ProfilerStep#2", "ProfilerStep#3", "work2", "work3"],
                     ["ProfilerStep#6", "ProfilerStep#7", "work6", "work7"]]
    assert prof.step_num == 10


def test_trace_handlers_and_chrome_trace(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prof = profile(schedule=schedule(wait=0, warmup=0, active=1),
                       on_trace_ready=ntorch.profiler.tensorboard_trace_handler(str(tmp_path)))
    prof.start()
    with pytest.raises(RuntimeError, match="cannot write TensorBoard traces"):
        prof.step()
    with profile() as prof:
        with record_function("x"):
            pass
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    events = json.loads(path.read_text())["traceEvents"]
    assert [(e["name"], e["ph"]) for e in events] == [("x", "X")] and events[0]["dur"] >= 0


def test_autograd_profiler_aliases():
    assert ntorch.autograd.profiler.record_function is record_function
    with ntorch.autograd.profiler.emit_nvtx(record_shapes=True):
        assert f(ntorch.tensor(0.0)).item() == 1.0
    with ntorch.autograd.profiler.profile() as prof:
        with record_function("legacy"):
            pass
    assert "legacy" in prof.key_averages().table(sort_by="self_cpu_time_total")
    with ntorch.autograd.profiler.profile(enabled=False) as off:
        with record_function("ignored"):
            pass
    with pytest.raises(AssertionError, match="Profiler must be initialized before getting key averages"):
        off.key_averages()


def test_record_function_name_checked_on_entry():
    rf = record_function(3)  # torch builds it, then refuses on entry
    with pytest.raises(RuntimeError, match="Expected a value of type 'str' for argument 'name' but instead found "
                                           "type 'int'"):
        with rf:
            pass


def test_key_averages_inside_the_block_sees_closed_ranges():
    with profile() as prof:
        with record_function("done"):
            pass
        assert [e.key for e in prof.key_averages()] == ["done"]


def test_module_compile_in_place():
    model = _mlp()
    x = ntorch.randn(2, 3)
    before = _np(model(x))
    assert model.compile(mode="reduce-overhead") is None  # torch compiles in place, keys unchanged
    np.testing.assert_array_equal(_np(model(x)), before)
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    with pytest.raises(RuntimeError, match="Invalid backend"):
        model.compile(backend="nope")


def test_set_stance_as_call_context_and_decorator():
    c = ntorch.compiler
    with c.set_stance("force_eager"):
        assert c._state["stance"] == "force_eager"
    assert c._state["stance"] == "default"

    @c.set_stance("eager_on_recompile")
    def g():
        return c._state["stance"]

    assert c._state["stance"] == "default" and g() == "eager_on_recompile" and c._state["stance"] == "default"
    with pytest.raises(RuntimeError, match="non-default stance cannot have force_backend set"):
        c.set_stance("force_eager", force_backend="eager")
