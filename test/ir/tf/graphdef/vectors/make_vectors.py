#!/usr/bin/env python3
"""Write the GraphDef test vectors of test/ir/tf/graphdef with TensorFlow's own protobuf code.

    /path/to/python-with-tensorflow test/ir/tf/graphdef/vectors/make_vectors.py

Outputs (next to this script):
  all_fields.pb        a GraphDef that sets every field of every message our
                       schema covers, with int64 extremes; serialized
                       deterministically (sorted map keys)
  all_fields_nondet.pb the same message serialized without deterministic=True
  tensors.pb           Const nodes holding tensors in every representation
                       TensorFlow reads (tensor_content, *_val, broadcast ...)
  tensors.json         what each of those tensors holds, per TensorFlow
                       (tf.make_ndarray / tf.io.parse_tensor)

The .pb files are written by TensorFlow's serializer, so the TypeScript tests
can demand that decode -> encode reproduces them byte for byte.
"""

import json
import os
import struct

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import tensorflow as tf
from tensorflow.core.framework import (
    full_type_pb2,
    graph_pb2,
    tensor_pb2,
    types_pb2,
)

HERE = os.path.dirname(os.path.abspath(__file__))
I64_MAX = 2**63 - 1
I64_MIN = -(2**63)
U64_MAX = 2**64 - 1
BIG_DIM = 2**53 + 3  # not representable as a JS number


def shape(proto, dims, unknown_rank=False, names=None):
    if unknown_rank:
        proto.unknown_rank = True
        return proto
    for i, d in enumerate(dims):
        dim = proto.dim.add()
        dim.size = d
        if names and names[i]:
            dim.name = names[i]
    return proto


def full_tensor():
    """A TensorProto with every field set (not a meaningful tensor)."""
    t = tensor_pb2.TensorProto()
    t.dtype = types_pb2.DT_FLOAT
    shape(t.tensor_shape, [2, BIG_DIM], names=["batch", None])
    t.version_number = 7
    t.tensor_content = b"\x00\x01\x02\x03"
    t.half_val.extend([0x3C00, 0xFBFF])
    t.float_val.extend([1.5, -0.0, float("inf")])
    t.double_val.extend([1e300, -2.5])
    t.int_val.extend([-(2**31), 2**31 - 1])
    t.string_val.extend([b"\xff\xfe", b"", "caf\u00e9".encode()])
    t.scomplex_val.extend([1.0, -1.0])
    t.int64_val.extend([I64_MAX, I64_MIN, -1])
    t.bool_val.extend([True, False])
    t.dcomplex_val.extend([3.0, 4.0])
    h = t.resource_handle_val.add()
    h.device = "/job:localhost/replica:0/task:0/device:CPU:0"
    h.container = "c"
    h.name = "v"
    h.hash_code = U64_MAX
    h.maybe_type_name = "N10tensorflow3VarE"
    ds = h.dtypes_and_shapes.add()
    ds.dtype = types_pb2.DT_INT64
    shape(ds.shape, [-1, 3])
    v = t.variant_val.add()
    v.type_name = "tensorflow::TensorList"
    v.metadata = b"\x00\x80meta"
    inner = v.tensors.add()
    inner.dtype = types_pb2.DT_INT32
    inner.int_val.append(5)
    t.uint32_val.extend([0, 2**32 - 1])
    t.uint64_val.extend([0, U64_MAX])
    t.float8_val = b"\x3c\x40"
    return t


def full_type():
    ft = full_type_pb2.FullTypeDef()
    ft.type_id = full_type_pb2.TFT_PRODUCT
    a = ft.args.add()
    a.type_id = full_type_pb2.TFT_TENSOR
    a.args.add().type_id = full_type_pb2.TFT_FLOAT
    b = ft.args.add()
    b.type_id = full_type_pb2.TFT_LITERAL
    b.i = I64_MIN
    c = ft.args.add()
    c.type_id = full_type_pb2.TFT_VAR
    c.s = "T"
    return ft


def add_every_attr(attr):
    attr["s"].s = b"\x00\xffnot utf-8"
    attr["i_max"].i = I64_MAX
    attr["i_min"].i = I64_MIN
    attr["i_zero"].i = 0
    attr["f"].f = -0.0
    attr["f_inf"].f = float("-inf")
    attr["f_tiny"].f = 1e-45
    attr["b_true"].b = True
    attr["b_false"].b = False
    attr["type"].type = types_pb2.DT_HALF
    attr["type_ref"].type = types_pb2.DT_INT64_REF
    attr["type_invalid"].type = types_pb2.DT_INVALID
    shape(attr["shape"].shape, [-1, BIG_DIM, 0, 3], names=[None, "big", None, "c"])
    shape(attr["shape_unknown"].shape, [], unknown_rank=True)
    attr["shape_scalar"].shape.SetInParent()
    attr["tensor"].tensor.CopyFrom(full_tensor())
    attr["placeholder"].placeholder = "T"
    attr["func"].func.name = "my_func"
    attr["func"].func.attr["T"].type = types_pb2.DT_FLOAT
    attr["func"].func.attr["n"].i = -3
    attr["empty_list"].list.SetInParent()
    lst = attr["list"].list
    lst.s.extend([b"a", b"", b"\xff"])
    lst.i.extend([I64_MAX, I64_MIN, 0, -1, 2**53 + 1])
    lst.f.extend([0.5, -0.0, float("inf")])
    lst.b.extend([True, False, True])
    lst.type.extend([types_pb2.DT_FLOAT, types_pb2.DT_STRING_REF, types_pb2.DT_UINT64])
    shape(lst.shape.add(), [1, -1])
    shape(lst.shape.add(), [], unknown_rank=True)
    lst.shape.add()
    lst.tensor.add().CopyFrom(tf.make_tensor_proto(np.arange(6, dtype=np.int64).reshape(2, 3)))
    lst.tensor.add().CopyFrom(tf.make_tensor_proto(I64_MIN, dtype=tf.int64))
    fn = lst.func.add()
    fn.name = "f1"
    fn.attr["x"].s = b"y"
    lst.func.add().name = "f2"


def all_fields_graph():
    g = graph_pb2.GraphDef()
    g.version = 21  # deprecated field 3
    g.versions.producer = 1994
    g.versions.min_consumer = 12
    g.versions.bad_consumers.extend([3, 5])

    x = g.node.add()
    x.name = "x"
    x.op = "Placeholder"
    x.device = "/device:CPU:0"
    x.attr["dtype"].type = types_pb2.DT_FLOAT
    shape(x.attr["shape"].shape, [-1, 4])

    n = g.node.add()
    n.name = "scope/every_attr"
    n.op = "AttrSoup"
    n.input.extend(["x", "x:0", "^x"])
    add_every_attr(n.attr)
    n.experimental_debug_info.original_node_names.extend(["orig/a", "orig/b"])
    n.experimental_debug_info.original_func_names.append("orig_fn")
    n.experimental_type.CopyFrom(full_type())

    c = g.node.add()
    c.name = "c>inner"
    c.op = "my_func"
    c.input.append("scope/every_attr:12")

    lib = g.library
    f = lib.function.add()
    sig = f.signature
    sig.name = "my_func"
    a = sig.input_arg.add()
    a.name = "a"
    a.description = "an input"
    a.type = types_pb2.DT_RESOURCE
    hd = a.handle_data.add()
    hd.dtype = types_pb2.DT_FLOAT
    shape(hd.shape, [2, 2])
    a.is_ref = True
    a.experimental_full_type.CopyFrom(full_type())
    b = sig.input_arg.add()
    b.name = "b"
    b.type_attr = "T"
    b.number_attr = "N"
    o = sig.output_arg.add()
    o.name = "out"
    o.type_list_attr = "Tout"
    sig.control_output.extend(["side_effect"])
    ad = sig.attr.add()
    ad.name = "T"
    ad.type = "type"
    ad.default_value.type = types_pb2.DT_FLOAT
    ad.description = "element type"
    ad.has_minimum = True
    ad.minimum = I64_MIN
    ad.allowed_values.list.type.extend([types_pb2.DT_FLOAT, types_pb2.DT_DOUBLE])
    sig.deprecation.version = 9
    sig.deprecation.explanation = "use other_func"
    sig.summary = "summary"
    sig.description = "description"
    sig.is_commutative = True
    sig.is_aggregate = True
    sig.is_stateful = True
    sig.allows_uninitialized_input = True
    sig.is_distributed_communication = True
    f.attr["_noinline"].b = True
    f.attr["_input_shapes"].list.shape.add()
    # Integer keys out of order, to show whether the order survives.
    for k in (3, 0, 1):
        f.arg_attr[k].attr["_user_specified_name"].s = b"arg%d" % k
    f.resource_arg_unique_id[2] = 7
    f.resource_arg_unique_id[0] = 1
    body = f.node_def.add()
    body.name = "mul"
    body.op = "Mul"
    body.input.extend(["a", "b:output:0"])
    body.attr["T"].placeholder = "T"
    f.ret["out"] = "mul:z:0"
    f.control_ret["side_effect"] = "mul"
    gd = lib.gradient.add()
    gd.function_name = "my_func"
    gd.gradient_func = "my_func_grad"
    rg = lib.registered_gradients.add()
    rg.gradient_func = "grad_fn"
    rg.registered_op_type = "MyOp"

    dbg = g.debug_info
    dbg.files.extend(["model.py", "layers.py"])
    frame = dbg.frames_by_id[U64_MAX]
    frame.file_index = 0  # proto2: an explicit zero is kept on the wire
    frame.line = 12
    frame.col = 0
    frame.func = "call"
    frame.code = "y = f(x)"
    dbg.frames_by_id[5].line = 7
    trace = dbg.traces_by_id[2**63 + 1]
    trace.frame_id.extend([U64_MAX, 5])
    old = dbg.traces["scope/every_attr"]
    flc = old.file_line_cols.add()
    flc.file_index = 1
    flc.line = 3
    dbg.name_to_trace_id["scope/every_attr"] = 2**63 + 1
    dbg.name_to_trace_id["x"] = 0
    return g


# --------------------------------------------------------------------------- #
# tensors


def tensor_expectation(t):
    """What TensorFlow reads from TensorProto t, as JSON-safe values."""
    dt = tf.dtypes.as_dtype(t.dtype)
    if dt == tf.string:
        # parse_tensor goes through Tensor::FromProto, like a Const kernel.
        arr = np.asarray(tf.io.parse_tensor(t.SerializeToString(), tf.string).numpy(), dtype=object)
        values = [bytes(v).hex() for v in arr.reshape(-1)]
    else:
        arr = np.asarray(tf.io.parse_tensor(t.SerializeToString(), dt).numpy())
        flat = arr.reshape(-1)
        if dt in (tf.float16, tf.bfloat16):
            values = [int(v) for v in flat.view(np.uint16)]
        elif dt in (tf.complex64, tf.complex128):
            values = []
            for v in flat:
                values.extend([float(v.real), float(v.imag)])
        elif dt in (tf.int64, tf.uint64):
            values = [str(int(v)) for v in flat]
        elif dt == tf.bool:
            values = [1 if v else 0 for v in flat]
        elif dt.is_floating:
            values = [float(v) for v in flat]
        else:
            values = [int(v) for v in flat]
    return {"dtype": int(t.dtype), "shape": list(arr.shape), "values": values}


def string_content(strings):
    """TensorFlow's EncodeStringList layout: varint32 lengths, then the bytes."""
    out = bytearray()
    for s in strings:
        n = len(s)
        while True:
            b = n & 0x7F
            n >>= 7
            out.append(b | (0x80 if n else 0))
            if not n:
                break
    for s in strings:
        out += s
    return bytes(out)


def tensors_graph():
    cases = {}

    def proto(dtype, dims, **fields):
        t = tensor_pb2.TensorProto()
        t.dtype = dtype
        shape(t.tensor_shape, dims)
        for k, v in fields.items():
            if k == "tensor_content" or k == "float8_val":
                setattr(t, k, v)
            else:
                getattr(t, k).extend(v)
        return t

    mk = tf.make_tensor_proto
    cases["f32_content"] = mk(np.arange(6, dtype=np.float32).reshape(2, 3) / 7)
    cases["f32_scalar"] = mk(np.float32(2.75))
    cases["f32_broadcast"] = mk(1.5, shape=[4])
    cases["f32_pad_last"] = proto(types_pb2.DT_FLOAT, [5], float_val=[1.0, 2.0])
    cases["f32_zeros"] = proto(types_pb2.DT_FLOAT, [3])
    cases["f32_empty"] = mk(np.zeros([0, 3], dtype=np.float32))
    cases["f64_content"] = mk(np.array([1e300, -1e-300, 0.1]))
    cases["f64_val"] = proto(types_pb2.DT_DOUBLE, [2, 2], double_val=[0.1, 0.2, 0.3, 0.4])
    cases["f16_content"] = mk(np.array([1.0, -2.0, 65504.0, 6e-8], dtype=np.float16))
    cases["f16_val"] = mk(np.float16(1.5))
    cases["f16_broadcast"] = proto(types_pb2.DT_HALF, [3], half_val=[0x3C00])
    cases["bf16_val"] = proto(types_pb2.DT_BFLOAT16, [2], half_val=[0x3F80, 0xC000])
    cases["bf16_content"] = proto(types_pb2.DT_BFLOAT16, [2], tensor_content=struct.pack("<2H", 0x4049, 0x7F80))
    cases["i32_content"] = mk(np.array([[1, -2], [2**31 - 1, -(2**31)]], dtype=np.int32))
    cases["i32_val"] = proto(types_pb2.DT_INT32, [2, 2], int_val=[7])
    cases["i16_val"] = proto(types_pb2.DT_INT16, [3], int_val=[-32768, 32767, 1])
    cases["i8_content"] = mk(np.array([-128, 127, 0], dtype=np.int8))
    cases["u8_val"] = proto(types_pb2.DT_UINT8, [3], int_val=[255, 0, 17])
    cases["u16_content"] = mk(np.array([65535, 1], dtype=np.uint16))
    cases["u32_val"] = proto(types_pb2.DT_UINT32, [2], uint32_val=[2**32 - 1, 3])
    cases["u32_content"] = mk(np.array([2**32 - 1, 0], dtype=np.uint32))
    cases["i64_val"] = proto(types_pb2.DT_INT64, [4], int64_val=[I64_MAX, I64_MIN, -1, 2**53 + 1])
    cases["i64_content"] = mk(np.array([I64_MAX, I64_MIN, 2**53 + 1], dtype=np.int64))
    cases["i64_broadcast"] = proto(types_pb2.DT_INT64, [2, 2], int64_val=[I64_MIN])
    cases["u64_val"] = proto(types_pb2.DT_UINT64, [2], uint64_val=[U64_MAX, 2**63])
    cases["u64_content"] = mk(np.array([U64_MAX, 1], dtype=np.uint64))
    cases["bool_val"] = proto(types_pb2.DT_BOOL, [3], bool_val=[True, False, True])
    cases["bool_content"] = mk(np.array([[True, False], [False, True]]))
    cases["bool_broadcast"] = proto(types_pb2.DT_BOOL, [3], bool_val=[True])
    cases["c64_val"] = proto(types_pb2.DT_COMPLEX64, [2], scomplex_val=[1.0, 2.0, 3.0, 4.0])
    cases["c64_broadcast"] = proto(types_pb2.DT_COMPLEX64, [3], scomplex_val=[1.0, -1.0])
    cases["c128_content"] = mk(np.array([1 + 2j, -3.5 - 0.25j], dtype=np.complex128))
    cases["str_val"] = mk(np.array([b"ab", b"", b"\xff\x00z"], dtype=object))
    cases["str_scalar"] = mk(b"hello")
    cases["str_broadcast"] = proto(types_pb2.DT_STRING, [2, 2], string_val=[b"x"])
    cases["str_content"] = proto(types_pb2.DT_STRING, [3], tensor_content=string_content([b"ab", b"", b"x" * 200]))
    cases["qint8_val"] = proto(types_pb2.DT_QINT8, [2], int_val=[-5, 5])
    cases["f8e5m2_content"] = proto(types_pb2.DT_FLOAT8_E5M2, [2], tensor_content=b"\x3c\x40")

    g = graph_pb2.GraphDef()
    g.versions.producer = 1994
    expect = {}
    for name, t in cases.items():
        node = g.node.add()
        node.name = name
        node.op = "Const"
        node.attr["dtype"].type = t.dtype
        node.attr["value"].tensor.CopyFrom(t)
        if t.dtype != types_pb2.DT_FLOAT8_E5M2:
            expect[name] = tensor_expectation(t)
        else:
            expect[name] = {"dtype": int(t.dtype), "shape": [2], "values": [0x3C, 0x40]}
    return g, expect


def main():
    g = all_fields_graph()
    with open(os.path.join(HERE, "all_fields.pb"), "wb") as f:
        f.write(g.SerializeToString(deterministic=True))
    with open(os.path.join(HERE, "all_fields_nondet.pb"), "wb") as f:
        f.write(g.SerializeToString())
    tg, expect = tensors_graph()
    with open(os.path.join(HERE, "tensors.pb"), "wb") as f:
        f.write(tg.SerializeToString(deterministic=True))
    with open(os.path.join(HERE, "tensors.json"), "w") as f:
        json.dump({"tensorflow": tf.__version__, "tensors": expect}, f, indent=1, sort_keys=True)
        f.write("\n")
    # Every tensor must also import as a graph TensorFlow accepts.
    with tf.Graph().as_default():
        tf.graph_util.import_graph_def(tg, name="")


if __name__ == "__main__":
    main()
