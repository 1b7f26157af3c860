"""The Relay passes tf2tvm runs before relay.build (inside its PassContext).

optimize() is the whole sequence; each named step can be switched off per
job (optimizations.py). What each buys: docs/performance.md.
"""

import re

import tvm
from tvm import relay

from optimizations import enabled

# Layout conversion for x86: TVM's optimised conv2d schedules are NCHW(c);
# NHWC convolutions are converted and transposes remain at the edges.
DESIRED_LAYOUTS = {"nn.conv2d": ["NCHW", "default"]}


@relay.transform.function_pass(opt_level=0, name="TF2TVMFastSigmoid")
class _FastSigmoid:
    """float32 sigmoid without libm calls (TVM's sigmoid is 1 / (1 + exp(-x))
    with an exp LLVM scalarises into expf calls, 5-7 ns per element here):

    - swish x * sigmoid(x) (Keras swish/silu) -> h + h * fast_tanh(h), h = x/2
      (the same function; vectorised, ~0.5 ns per element). Its error is
      absolute, |x| * 6e-8 at most: fine for an activation, not for a
      probability;
    - any other sigmoid(x) -> 1 / (1 + fast_exp(-x)), relative error ~1e-7
      at any magnitude (~1 ns per element).
    """

    def transform_function(self, func, mod, ctx):
        sigmoid = relay.op.get("sigmoid")
        multiply = relay.op.get("multiply")
        fast_exp = relay.op.get("fast_exp")
        fast_tanh = relay.op.get("fast_tanh")

        def is_f32_sigmoid(e):
            return isinstance(e, relay.Call) and e.op == sigmoid and e.checked_type.dtype == "float32"

        class Rewriter(relay.ExprMutator):
            def visit_call(self, call):
                if call.op == multiply and len(call.args) == 2:
                    a, b = call.args
                    for x, s in ((a, b), (b, a)):
                        if (
                            is_f32_sigmoid(s)
                            and s.args[0].same_as(x)
                            and tvm.ir.structural_equal(x.checked_type, call.checked_type)
                        ):
                            h = relay.multiply(relay.const(0.5, "float32"), self.visit(x))
                            return relay.add(h, relay.multiply(h, relay.Call(fast_tanh, [h])))
                new = super().visit_call(call)
                if is_f32_sigmoid(call):
                    one = relay.const(1.0, "float32")
                    return relay.divide(one, relay.add(one, relay.Call(fast_exp, [relay.negative(new.args[0])])))
                return new

        return Rewriter().visit(func)


def _numel(ty):
    n = 1
    for d in ty.shape:
        n *= int(d)
    return n


@relay.transform.function_pass(opt_level=0, name="TF2TVMKeepDataScales")
class _KeepDataScales:
    """Keeps a data-dependent per-channel scale on the activations when the
    convolution after it has more weights than the scaled tensor has values.

    hhb-tvm's ForwardFoldScaleAxis also folds scales computed at run time
    (squeeze-and-excitation: conv(x * sigmoid(...))) into the convolution's
    weights, so each call rescales and re-lays-out the whole weight tensor:
    for EfficientNet's late blocks (7x7x1152 -> 320 channels) that is 7x the
    work of scaling x. A copy (fused into the multiply, so free) hides such
    a multiply from the pass.
    """

    def transform_function(self, func, mod, ctx):
        multiply = relay.op.get("multiply")
        conv2d = relay.op.get("nn.conv2d")
        keep = set()

        def is_scale_of_data(call):
            if not (isinstance(call, relay.Call) and call.op == multiply):
                return False
            # Weights are still parameters here (bound by relay.build): a
            # scale is data-dependent when it reads a data input in<k>.
            for a in call.args:
                if not any(re.fullmatch(r"in[0-9]+", v.name_hint) for v in relay.analysis.free_vars(a)):
                    return False
            try:
                sizes = [_numel(a.checked_type) for a in call.args]
            except (TypeError, AttributeError, ValueError):
                return False
            return min(sizes) < max(sizes)

        def find(node):
            if isinstance(node, relay.Call) and node.op == conv2d and is_scale_of_data(node.args[0]):
                try:
                    if _numel(node.args[1].checked_type) > _numel(node.args[0].checked_type):
                        keep.add(node.args[0])
                except (TypeError, AttributeError, ValueError):
                    pass

        relay.analysis.post_order_visit(func, find)
        if not keep:
            return func

        class Rewriter(relay.ExprMutator):
            def visit_call(self, call):
                new = super().visit_call(call)
                return relay.copy(new) if call in keep else new

        return Rewriter().visit(func)


def _scalar_value(expr, params):
    """The value of a one-element constant or bound weight, else None."""
    if isinstance(expr, relay.Constant):
        data = expr.data.numpy()
    elif isinstance(expr, relay.Var) and expr.name_hint in params:
        data = params[expr.name_hint]
        data = data.numpy() if hasattr(data, "numpy") else data
    else:
        return None
    return float(data.reshape(-1)[0]) if data.size == 1 else None


def expand_pow(mod, params):
    """power(x, c) for a constant c in {1, 2, 3, 4, 0.5, -0.5, -1} as
    multiplies, sqrt, rsqrt or a division. TVM lowers power to a libm powf
    call per element, which LLVM does not vectorise (~20 ns per element
    here); GELU's tanh form has x**3 on the widest tensor of a transformer
    block. The results differ from powf's by an ulp or so."""
    power = relay.op.get("power")

    def expand(x, c):
        if c == 1.0:
            return x
        if c == 2.0:
            return relay.multiply(x, x)
        if c == 3.0:
            return relay.multiply(relay.multiply(x, x), x)
        if c == 4.0:
            sq = relay.multiply(x, x)
            return relay.multiply(sq, sq)
        if c == 0.5:
            return relay.sqrt(x)
        if c == -0.5:
            return relay.rsqrt(x)
        if c == -1.0:
            return relay.divide(relay.const(1.0, "float32"), x)
        return None

    class Rewriter(relay.ExprMutator):
        def visit_call(self, call):
            new = super().visit_call(call)
            if call.op == power and len(call.args) == 2:
                try:
                    same = call.checked_type.dtype == "float32" and tvm.ir.structural_equal(
                        call.args[0].checked_type, call.checked_type
                    )
                except (ValueError, tvm.TVMError):
                    same = False
                c = _scalar_value(call.args[1], params) if same else None
                if c is not None:
                    expanded = expand(new.args[0], c)
                    if expanded is not None:
                        return expanded
            return new

    mod = relay.transform.InferType()(mod)
    mod["main"] = Rewriter().visit(mod["main"])
    return relay.transform.InferType()(mod)


def fast_math(mod):
    """exp, tanh, erf, softmax and sigmoid through TVM's polynomial versions
    (vectorised; a few ulp, see docs/performance.md) instead of libm calls."""
    mod = relay.transform.InferType()(mod)
    mod = relay.transform.FastMath()(mod)
    mod = relay.transform.InferType()(mod)
    return _FastSigmoid()(mod)


def optimize(mod, params=None):
    mod = relay.transform.InferType()(mod)
    if enabled("expand-pow"):
        mod = expand_pow(mod, params or {})
    if enabled("fold-pad"):
        # TF's explicit Pad before a VALID convolution (Keras ZeroPadding2D,
        # asymmetric SAME padding for stride 2) becomes the convolution's own
        # padding: no separate copy of the tensor.
        mod = relay.transform.FoldExplicitPadding()(mod)
    if enabled("convert-layout"):
        if enabled("canonicalize"):
            # bias_add -> expand_dims + add: hhb-tvm's ConvertLayout does not
            # carry a layout through nn.bias_add, so without this every
            # convolution is wrapped in NCHW<->NHWC transposes and its bias,
            # scale and ReLU cannot fuse into it.
            mod = relay.transform.CanonicalizeOps()(mod)
        mod = relay.transform.ConvertLayout(DESIRED_LAYOUTS)(mod)
    if enabled("fast-math"):
        mod = fast_math(mod)
    if enabled("keep-data-scales"):
        mod = relay.transform.InferType()(mod)
        mod = _KeepDataScales()(mod)
    return mod
