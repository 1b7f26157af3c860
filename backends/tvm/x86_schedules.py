"""x86 schedules and strategies that hhb-tvm lacks or gets wrong.

Installed once, when the build worker starts (install()); each one checks
optimizations.enabled(name) when TVM calls it, so a job can run without it
(what each buys and how it was measured: docs/performance.md). Only
"cpu"-keyed strategies are touched: an x86 target is all tf2tvm builds for.
"""

import tvm
from tvm import te, topi
from tvm.relay.op import op as _relay_op
from tvm.relay.op.strategy import generic as _generic
from tvm.relay.op.strategy import x86 as _x86
from tvm.relay.ty import is_dynamic as _is_dynamic
from tvm.topi.utils import get_const_tuple as _const_tuple
from tvm.topi.utils import traverse_inline as _traverse_inline

from optimizations import enabled


def _install_injective_strategies():
    """add/subtract/multiply/divide/reshape get x86's injective schedule.

    hhb-tvm gives these five ops strategies of their own with a RISC-V
    implementation only; on x86 they fall back to TOPI's default schedule
    (no inlining, no parallel loop, no vectorisation), and so does every
    fused group whose anchor is one of them (bias + ReLU, layer-norm tails,
    GELU, ...): 5-20x slower than the injective schedule other elementwise
    ops get.
    """

    def strategy(name, compute):
        # hhb-tvm's own choice on x86: TOPI's generic (default) schedule.
        fallback = _generic.wrap_topi_schedule(getattr(topi.generic, f"schedule_{name}"))

        def fstrategy(attrs, inputs, out_type, target):
            s = _relay_op.OpStrategy()
            if enabled("injective"):
                s.add_implementation(compute, _generic.schedule_injective, name=f"{name}.x86.tf2tvm")
            else:
                s.add_implementation(compute, fallback, name=f"{name}.generic")
            return s

        return fstrategy

    for name, compute in (
        ("add", _generic.wrap_topi_compute(topi.add)),
        ("subtract", _generic.wrap_topi_compute(topi.subtract)),
        ("multiply", _generic.wrap_topi_compute(topi.multiply)),
        ("divide", _generic.wrap_topi_compute(topi.divide)),
    ):
        getattr(_generic, f"{name}_strategy").register("cpu", override=True)(strategy(name, compute))
    _generic.reshape_strategy.register("cpu", override=True)(
        strategy("reshape", _generic.wrap_compute_reshape(topi.reshape))
    )


def _largest_divisor(n, candidates):
    for c in candidates:
        if n % c == 0:
            return c
    return 1


def _batch_matmul_packed(a, b, out_dtype, transpose_a, transpose_b):
    """C[i, y, x] = sum_k A[i, y, k] * B[i, k, x], any transposes, batch broadcast.

    B is first repacked as [batch, N/bn, K, bn] (bn = 32 or 16 lanes), so the
    inner loop loads one contiguous vector of B per k and broadcasts scalars of
    A into a tile of accumulators, as x86's dense_pack does for weights.
    """
    if transpose_a:
        batch_a, k_a, m = _const_tuple(a.shape)
    else:
        batch_a, m, k_a = _const_tuple(a.shape)
    if transpose_b:
        batch_b, n, _ = _const_tuple(b.shape)
    else:
        batch_b, _, n = _const_tuple(b.shape)
    batch = max(batch_a, batch_b)
    bn = _largest_divisor(n, (32, 16))
    if transpose_b:
        packed = te.compute(
            (batch_b, n // bn, k_a, bn), lambda i, xo, k, xi: b[i, xo * bn + xi, k], name="B_packed", tag="bmm_pack_b"
        )
    else:
        packed = te.compute(
            (batch_b, n // bn, k_a, bn), lambda i, xo, k, xi: b[i, k, xo * bn + xi], name="B_packed", tag="bmm_pack_b"
        )
    k = te.reduce_axis((0, k_a), name="k")

    def a_at(i, y, kk):
        i = i if batch_a == batch else 0
        return a[i, kk, y] if transpose_a else a[i, y, kk]

    def b_at(i, x, kk):
        i = i if batch_b == batch else 0
        return packed[i, x // bn, kk, x % bn]

    return te.compute(
        (batch, m, n),
        lambda i, y, x: te.sum(a_at(i, y, k).astype(out_dtype) * b_at(i, x, k).astype(out_dtype), axis=k),
        name="T_batch_matmul",
        tag="batch_matmul_packed",
    )


def _schedule_batch_matmul_packed(outs):
    outs = [outs] if isinstance(outs, te.tensor.Tensor) else outs
    s = te.create_schedule([x.op for x in outs])

    def callback(op):
        if op.tag != "batch_matmul_packed":
            return
        C = op.output(0)
        out = outs[0]
        packed = op.input_tensors[1]
        _, m, _ = _const_tuple(C.shape)
        bn = _const_tuple(packed.shape)[-1]
        tile_y = _largest_divisor(m, (8, 4, 2))
        pi, pxo, _, pxi = s[packed].op.axis
        s[packed].parallel(s[packed].fuse(pi, pxo))
        s[packed].vectorize(pxi)
        CC = s.cache_write(C, "global")

        def tile(stage):
            i, y, x = s[stage].op.axis
            yo, yi = s[stage].split(y, tile_y)
            xo, xi = s[stage].split(x, bn)
            s[stage].reorder(i, yo, xo, yi, xi)
            outer = s[stage].fuse(i, yo, xo)
            s[stage].parallel(outer)
            s[stage].unroll(yi)
            s[stage].vectorize(xi)
            return outer

        if C == out:
            outer = tile(C)
            s[CC].compute_at(s[C], outer)
        else:  # an elementwise epilogue fused after the product
            outer = tile(out)
            s[C].compute_at(s[out], outer)
            _, y, x = s[C].op.axis
            s[C].unroll(y)
            s[C].vectorize(x)
            s[CC].compute_at(s[out], outer)
        _, y, x = s[CC].op.axis
        (k,) = s[CC].op.reduce_axis
        s[CC].reorder(k, y, x)
        s[CC].unroll(y)
        s[CC].vectorize(x)

    _traverse_inline(s, outs[0].op, callback)
    return s


def _install_batch_matmul_strategy():
    """float32 nn.batch_matmul with static shapes: a packed schedule.

    x86's batch_matmul schedule vectorises the reduction and reduces
    horizontally (10-25 GFLOP/s here, 1-2 when a transpose makes it gather);
    the packed one runs at dense_pack's rate.
    """
    original = _x86.batch_matmul_strategy_cpu

    def fstrategy(attrs, inputs, out_type, target):
        strategy = original(attrs, inputs, out_type, target)
        a, b = inputs
        if (
            enabled("batch-matmul")
            and a.dtype == "float32"
            and b.dtype == "float32"
            and out_type.dtype == "float32"
            and not _is_dynamic(out_type)
            and int(out_type.shape[-1]) % 16 == 0
        ):

            def compute(attrs, inputs, out_type):
                return [
                    _batch_matmul_packed(inputs[0], inputs[1], out_type.dtype, attrs.transpose_a, attrs.transpose_b)
                ]

            def schedule(attrs, outs, target):
                with target:
                    return _schedule_batch_matmul_packed(outs)

            strategy.add_implementation(compute, schedule, name="batch_matmul_packed.x86.tf2tvm", plevel=20)
        return strategy

    _generic.batch_matmul_strategy.register("cpu", override=True)(fstrategy)


def _schedule_reduce_inner_kept(outs):
    """A reduction over outer axes that keeps the innermost one (spatial mean
    of NCHW16c / NHWC data, e.g. squeeze-and-excitation, global pooling):
    the kept innermost axis becomes the vector and the reduction loops run
    outside it. None when the group is not of that shape."""
    if len(outs) != 1:
        return None
    out = outs[0]
    reduce_op = None
    stack, seen = [out.op], set()
    while stack:
        op = stack.pop()
        if op in seen or not isinstance(op, te.ComputeOp):
            continue
        seen.add(op)
        if op.tag == "comm_reduce":
            if reduce_op is not None:
                return None
            reduce_op = op
        elif not (topi.tag.is_broadcast(op.tag) or op.tag == topi.tag.ELEMWISE):
            # elementwise stages only: their indices are the reduction's own,
            # so the contiguity check below holds for the inlined accesses
            return None
        stack.extend(t.op for t in op.input_tensors)
    if reduce_op is None or len(reduce_op.axis) < 2:
        return None
    red = reduce_op.output(0)
    lanes = int(reduce_op.axis[-1].dom.extent)
    if lanes < 8 or lanes % 8 != 0 or (lanes > 64 and lanes % 16 != 0):
        return None
    vector = lanes if lanes <= 64 else 16
    if out.op != reduce_op and _const_tuple(out.shape) != _const_tuple(red.shape):
        return None
    # Every tensor the reduction reads must be indexed by the kept innermost
    # axis in its own innermost dimension (contiguous vectors).
    last = reduce_op.axis[-1].var
    ok = [True]

    def visit(node):
        if isinstance(node, tvm.tir.ProducerLoad):
            idx = node.indices
            if not (len(idx) > 0 and isinstance(idx[-1], tvm.tir.Var) and idx[-1].same_as(last)):
                ok[0] = False
            if any(tvm.tir.analysis.expr_deep_equal(i, last) for i in idx[:-1]):
                ok[0] = False

    for b in reduce_op.body:
        tvm.tir.stmt_functor.post_order_visit(b, visit)
    if not ok[0]:
        return None

    s = te.create_schedule([out.op])
    for op in seen:
        if op != reduce_op and op != out.op:
            s[op].compute_inline()

    def split_outer(stage):
        axes = s[stage].op.axis
        chunk, inner = s[stage].split(axes[-1], vector)
        outer = s[stage].fuse(*axes[:-1], chunk)
        s[stage].parallel(outer)
        return outer, inner

    if out.op != reduce_op:
        outer, inner = split_outer(out)
        s[out].vectorize(inner)
        s[red].compute_at(s[out], outer)
        inner = s[red].op.axis[-1]
        s[red].reorder(*s[red].op.reduce_axis, inner)
        s[red].vectorize(inner)
    else:
        outer, inner = split_outer(red)
        s[red].reorder(outer, *s[red].op.reduce_axis, inner)
        s[red].vectorize(inner)
    return s


def _install_reduce_schedule():
    original = _x86.schedule_reduce_cpu

    def schedule(attrs, outs, target):
        s = None
        if enabled("reduce"):
            with target:
                s = _schedule_reduce_inner_kept(list(outs))
        return s if s is not None else original(attrs, outs, target)

    # Each reduce op's strategy copied schedule_reduce's dispatch table when
    # relay was imported, so the op strategies themselves are re-registered.
    for name in ("sum", "mean", "max", "min", "prod"):
        compute = _relay_op.get(name).get_attr("FTVMCompute")
        fstrategy = tvm.target.get_native_generic_func(f"{name}_strategy")
        fstrategy.register(
            _relay_op._wrap_default_fstrategy(compute, schedule, "reduce.x86.tf2tvm"), ["cpu"], allow_override=True
        )


def _register_tile(extent, lo=8, hi=16):
    """A register-tile length for a loop of `extent`: the one in lo..hi that
    pads the loop least (the largest on ties); the loop need not divide."""
    if extent <= hi:
        return extent
    return min(range(lo, hi + 1), key=lambda r: (-(-extent // r) * r - extent, -r))


def _install_conv_fallback_tiles():
    """Untuned NCHWc conv2d: no register tile of 1 when the output width is prime.

    x86's fallback configs tile the output width only by its divisors
    (3x3: the largest <= 31; 1x1: oh x ow factors < 32), so a width of 71,
    73 or 147/149's neighbours (Inception) gets a tile of one pixel and
    runs at 2-20 GFLOP/s. The schedules accept a tile that does not divide
    the width (the last tile is guarded), so such widths get 8..16.
    """
    from tvm.autotvm.task.space import OtherOptionEntity, SplitEntity
    from tvm.topi.x86 import conv2d_avx_1x1, conv2d_avx_common

    common = conv2d_avx_common._fallback_schedule
    one_by_one = conv2d_avx_1x1._fallback_schedule

    def common_fallback(cfg, wkl):
        common(cfg, wkl)
        if not enabled("conv-tiles"):
            return
        out_width = cfg["tile_ow"].size[0] * cfg["tile_ow"].size[1]
        if cfg["tile_ow"].size[-1] < 8 and out_width > 8:
            reg_n = _register_tile(out_width)
            cfg["tile_ow"] = SplitEntity([-(-out_width // reg_n), reg_n])

    def one_by_one_fallback(cfg, wkl):
        one_by_one(cfg, wkl)
        if not enabled("conv-tiles"):
            return
        out_width = cfg["tile_ow"].size[0] * cfg["tile_ow"].size[1]
        if cfg["tile_oh"].val * cfg["tile_ow"].size[-1] < 8 and out_width > 8:
            ow = _register_tile(out_width)
            cfg["tile_oh"] = OtherOptionEntity(1)
            cfg["tile_ow"] = SplitEntity([-(-out_width // ow), ow])

    conv2d_avx_common._fallback_schedule = common_fallback
    conv2d_avx_1x1._fallback_schedule = one_by_one_fallback


_installed = False


def install():
    """Registers everything above (once per process)."""
    global _installed
    if _installed:
        return
    _install_injective_strategies()
    _install_batch_matmul_strategy()
    _install_reduce_schedule()
    _install_conv_fallback_tiles()
    _installed = True
