"""Winograd F(m x m, 3 x 3) convolution for x86, in the NCHWc layout.

A 3x3 stride-1 convolution at this machine's FMA peak still does 9 MACs per
output and input channel; Winograd's minimal filtering does (m+2)^2/m^2 (2.25
for m = 4) on a batched matrix product, plus input and output transforms.
hhb-tvm has it on x86 only for the auto-scheduler in NHWC, so untuned and
AutoTVM builds never get it. Here:

- AlterOpLayout (the "cpu" conv2d hook) turns an eligible conv2d into
  contrib_conv2d_winograd_without_weight_transform on the same NCHW[ic]c /
  NCHW[oc]c blocking the direct convolution would get (so no layout
  transform is added), with the weight transform as Relay ops that
  FoldConstant folds at build time;
- that op's "cpu" strategy gets a compute and schedule of its own for the
  NCHWc layouts: data transform with channels in vector lanes, one register
  tiled matrix product per transform point, and the output transform fused
  with the ops after the convolution.

Which convolutions go this way is `profitable()`, from measurements
(docs/performance.md). Off with `--disable-opt winograd`.
"""

import re

from tvm import relay, te, topi
from tvm.relay.op import op as _relay_op
from tvm.relay.op.strategy import generic as _generic
from tvm.relay.op.strategy import x86 as _x86
from tvm.topi.nn.utils import get_pad_tuple
from tvm.topi.nn.winograd_util import winograd_transform_matrices
from tvm.topi.utils import get_const_tuple, traverse_inline

from optimizations import enabled

# Output tile edge: F(4x4, 3x3), 36 products for 16 outputs.
TILE = 4
OUT_TAG = "conv2d_NCHWc_winograd"


def _tiles(extent, m):
    return -(-extent // m)


# The transformed input and products live in a workspace per call; beyond this the
# direct convolution (no workspace) is kept.
WORKSPACE_BYTES = 64 << 20


def profitable(batch, in_channels, out_channels, out_h, out_w):
    """Whether Winograd beats the direct NCHWc convolution for this workload.

    Measured per workload (docs/performance.md, "Winograd"): the transforms
    cost per tile and channel, so few input channels lose; the transformed
    weight is 4x the original and is read once per run, so a small output
    (few tiles to share it) is bound by memory; a tile that is mostly
    padding wastes its work.
    """
    m = TILE
    waste = (_tiles(out_h, m) * m * _tiles(out_w, m) * m) / (out_h * out_w)
    points = (m + 2) ** 2 * batch * _tiles(out_h, m) * _tiles(out_w, m)
    workspace = 4 * points * max(in_channels, out_channels)
    return (
        in_channels >= 64
        and out_channels >= 32
        and out_h * out_w >= 196
        and waste <= 1.45
        and workspace <= WORKSPACE_BYTES
    )


def eligible(kernel_shape, out_shape, strides, dilation, groups, dtypes):
    """A float32 3x3 stride-1 undilated ungrouped OIHW convolution (NCHW output) that Winograd wins."""
    if not (enabled("winograd") and groups == 1 and tuple(strides) == (1, 1) and tuple(dilation) == (1, 1)):
        return False
    if any(d != "float32" for d in dtypes):
        return False
    co, ci, kh, kw = kernel_shape
    batch, _, out_h, out_w = out_shape
    return (kh, kw) == (3, 3) and profitable(batch, ci, co, out_h, out_w)


def conv2d_nchwc_winograd(data, kernel_pack, padding, out_h, out_w, out_dtype):
    """data [N, CI/ic, H, W, ic], kernel_pack [alpha*alpha, CO/oc, CI, oc] (transformed)."""
    n, _, h, w, ic_bn = get_const_tuple(data.shape)
    aa, co_blocks, ci, oc_bn = get_const_tuple(kernel_pack.shape)
    alpha = {16: 4, 36: 6, 64: 8}[aa]
    m = alpha - 2
    pt, pl, _, _ = get_pad_tuple(padding, (3, 3))
    n_h, n_w = _tiles(out_h, m), _tiles(out_w, m)
    tiles = n * n_h * n_w
    # Pad so that every tile reads inside the tensor (the last tiles may run past the output).
    data_pad = topi.nn.pad(
        data, (0, 0, pt, pl, 0), (0, 0, n_h * m + 2 - h - pt, n_w * m + 2 - w - pl, 0), name="winograd_data_pad"
    )
    a_mat, b_mat, _ = winograd_transform_matrices(m, 3, out_dtype)

    r_a = te.reduce_axis((0, alpha), "r_a")
    r_b = te.reduce_axis((0, alpha), "r_b")
    data_pack = te.compute(
        (alpha, alpha, tiles, ci),
        lambda eps, nu, p, c: te.sum(
            data_pad[p // (n_h * n_w), c // ic_bn, (p // n_w) % n_h * m + r_a, p % n_w * m + r_b, c % ic_bn]
            * b_mat[r_a, eps]
            * b_mat[r_b, nu],
            axis=[r_a, r_b],
        ),
        name="winograd_data_pack",
    )
    rc = te.reduce_axis((0, ci), "rc")
    bgemm = te.compute(
        (alpha, alpha, co_blocks, tiles, oc_bn),
        lambda eps, nu, cb, p, oc: te.sum(
            data_pack[eps, nu, p, rc] * kernel_pack[eps * alpha + nu, cb, rc, oc], axis=rc
        ),
        name="winograd_bgemm",
    )
    r_a = te.reduce_axis((0, alpha), "r_a")
    r_b = te.reduce_axis((0, alpha), "r_b")
    inverse = te.compute(
        (co_blocks, tiles, m, m, oc_bn),
        lambda cb, p, vh, vw, oc: te.sum(bgemm[r_a, r_b, cb, p, oc] * a_mat[r_a, vh] * a_mat[r_b, vw], axis=[r_a, r_b]),
        name="winograd_inverse",
    )
    return te.compute(
        (n, co_blocks, out_h, out_w, oc_bn),
        lambda b, cb, y, x, oc: inverse[cb, b * n_h * n_w + (y // m) * n_w + x // m, y % m, x % m, oc],
        name="winograd_output",
        tag=OUT_TAG,
    )


def _reg_tile(extent, hi):
    """The register tile for a loop of `extent`: the divisor <= hi nearest hi, else hi."""
    for r in range(min(hi, extent), 0, -1):
        if extent % r == 0 and r >= hi // 2:
            return r
    return min(hi, extent)


def schedule_conv2d_nchwc_winograd(outs):
    outs = [outs] if isinstance(outs, te.tensor.Tensor) else outs
    s = te.create_schedule([x.op for x in outs])
    last = outs[0]

    def callback(op):
        if op.tag != OUT_TAG:
            return
        output = op.output(0)
        inverse = output.op.input_tensors[0]
        bgemm = inverse.op.input_tensors[0]
        data_pack, kernel_pack = bgemm.op.input_tensors
        data_pad = data_pack.op.input_tensors[0]
        m = get_const_tuple(inverse.shape)[2]
        # The padded input is materialised (guarded loads in the unrolled transform cost more).
        b, cb, y, x, lane = s[data_pad].op.axis
        s[data_pad].vectorize(lane)
        s[data_pad].parallel(s[data_pad].fuse(b, cb, y))
        # Constant matrices: folded into the unrolled transforms.
        for stage in (data_pack, inverse):
            for t in stage.op.input_tensors[1:]:
                s[t].compute_inline()

        # Data transform: one tile and one channel block per task; eps, nu, a, b unrolled.
        eps, nu, p, c = s[data_pack].op.axis
        r_a, r_b = s[data_pack].op.reduce_axis
        ic_bn = get_const_tuple(data_pad.shape)[-1]
        co, ci = s[data_pack].split(c, ic_bn)
        s[data_pack].reorder(p, co, eps, nu, r_a, r_b, ci)
        for ax in (eps, nu, r_a, r_b):
            s[data_pack].unroll(ax)
        s[data_pack].vectorize(ci)
        s[data_pack].parallel(s[data_pack].fuse(p, co))

        # Batched product: per transform point and output block, tiles x oc_bn accumulators.
        tiles = get_const_tuple(bgemm.shape)[3]
        reg_p = _reg_tile(tiles, 16)
        acc = s.cache_write(bgemm, "global")
        eps, nu, cb, p, oc = s[bgemm].op.axis
        po, pi = s[bgemm].split(p, reg_p)
        s[bgemm].reorder(eps, nu, cb, po, pi, oc)
        s[bgemm].vectorize(oc)
        s[bgemm].parallel(s[bgemm].fuse(eps, nu, cb))
        s[acc].compute_at(s[bgemm], po)
        _, _, _, pa, oca = s[acc].op.axis
        (k,) = s[acc].op.reduce_axis
        s[acc].reorder(k, pa, oca)
        s[acc].unroll(pa)
        s[acc].vectorize(oca)

        # Output transform, at each output tile of the last fused op.
        if output.op != last.op:
            s[output].compute_inline()
        b, cb, y, x, oc = s[last].op.axis
        yo, yi = s[last].split(y, m)
        xo, xi = s[last].split(x, m)
        s[last].reorder(b, cb, yo, xo, yi, xi, oc)
        s[last].unroll(yi)
        s[last].unroll(xi)
        s[last].vectorize(oc)
        s[last].parallel(s[last].fuse(b, cb, yo))
        s[inverse].compute_at(s[last], xo)
        _, _, vh, vw, ocv = s[inverse].op.axis
        r_a, r_b = s[inverse].op.reduce_axis
        s[inverse].reorder(vh, vw, r_a, r_b, ocv)
        for ax in (vh, vw, r_a, r_b):
            s[inverse].unroll(ax)
        s[inverse].vectorize(ocv)

    traverse_inline(s, last.op, callback)
    return s


_BLOCKED = re.compile(r"NCHW(\d+)c")


def _install_strategy():
    original = _x86.conv2d_winograd_without_weight_transform_strategy_cpu

    def fstrategy(attrs, inputs, out_type, target):
        if _BLOCKED.fullmatch(attrs.data_layout) is None:
            return original(attrs, inputs, out_type, target)
        strategy = _relay_op.OpStrategy()

        def compute(attrs, inputs, out_type):
            return [
                conv2d_nchwc_winograd(
                    inputs[0],
                    inputs[1],
                    get_const_tuple(attrs.padding),
                    out_type.shape[2],
                    out_type.shape[3],
                    out_type.dtype,
                )
            ]

        strategy.add_implementation(
            compute,
            lambda attrs, outs, target: schedule_conv2d_nchwc_winograd(outs),
            name="conv2d_NCHWc_winograd.x86.tf2tvm",
        )
        return strategy

    _generic.conv2d_winograd_without_weight_transform_strategy.register("cpu", override=True)(fstrategy)


def _install_alter_layout():
    from tvm.topi.x86 import conv2d_alter_op

    original = conv2d_alter_op._alter_conv2d_layout

    def alter(attrs, inputs, tinfos, out_type):
        new = original(attrs, inputs, tinfos, out_type)
        if not isinstance(new, relay.Call) or new.op.name != "nn.contrib_conv2d_NCHWc":
            return new
        data, kernel = tinfos
        if attrs["data_layout"] != "NCHW" or attrs["kernel_layout"] != "OIHW":
            return new
        # Weights computed at run time would be transformed at every call.
        if not isinstance(inputs[1], relay.Constant):
            return new
        co, ci, _, _ = get_const_tuple(kernel.shape)
        if not eligible(
            get_const_tuple(kernel.shape),
            get_const_tuple(out_type.shape),
            get_const_tuple(attrs.strides),
            get_const_tuple(attrs.dilation),
            int(attrs.groups),
            (data.dtype, kernel.dtype, out_type.dtype),
        ):
            return new
        ic_bn = int(_BLOCKED.fullmatch(new.attrs.data_layout).group(1))
        oc_bn = int(_BLOCKED.fullmatch(new.attrs.out_layout).group(1))
        alpha = TILE + 2
        # [alpha, alpha, CO, CI] -> [alpha*alpha, CO/oc, CI, oc]: folded, the weights are constants.
        u = relay.nn.contrib_conv2d_winograd_weight_transform(inputs[1], tile_size=TILE)
        u = relay.reshape(u, (alpha * alpha, co // oc_bn, oc_bn, ci))
        u = relay.transpose(u, (0, 1, 3, 2))
        new_attrs = {k: attrs[k] for k in attrs.keys()}
        new_attrs["tile_size"] = TILE
        new_attrs["channels"] = co
        new_attrs["data_layout"] = f"NCHW{ic_bn}c"
        new_attrs["out_layout"] = f"NCHW{oc_bn}c"
        # The transformed weight is nominally OIHW (rank 4), the original's layout, so no
        # layout transform is put on it.
        new_attrs["kernel_layout"] = "OIHW"
        return relay.nn.contrib_conv2d_winograd_without_weight_transform(inputs[0], u, **new_attrs)

    topi.nn.conv2d_alter_layout.register("cpu", override=True)(alter)


_installed = False


def install():
    global _installed
    if _installed:
        return
    _install_strategy()
    _install_alter_layout()
    _installed = True


def replaces_task(task):
    """Whether an AutoTVM conv2d_NCHWc task's convolution is built by Winograd instead
    (so tuning it would spend trials on a schedule the build never uses)."""
    if task.name != "conv2d_NCHWc.x86":
        return False
    data, kernel, strides, padding, dilation, layout = task.args[:6]
    out_dtype = task.args[7] if len(task.args) > 7 else data[2]
    if layout != "NCHW":
        return False
    n, _, h, w = data[1]
    pt, pl, pb, pr = get_pad_tuple(tuple(padding), (3, 3))
    out_shape = (n, kernel[1][0], h + pt + pb - 2, w + pl + pr - 2)
    return eligible(kernel[1], out_shape, strides, dilation, 1, (data[2], kernel[2], out_dtype))
