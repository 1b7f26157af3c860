"""Loads a tf2tvm output folder into TensorFlow.

Shipped as OUT/runtime/tf2tvm_runtime.py next to libtf2tvm_op.so (the
TF2TVMBridgeOp kernel) and libtvm_runtime.so. Typical use:

    import sys; sys.path.insert(0, "OUT/runtime")
    import tf2tvm_runtime
    graph_def = tf2tvm_runtime.load("OUT")
    tf.import_graph_def(graph_def, name="")

Without this module: load OUT/runtime/libtf2tvm_op.so with
tf.load_op_library and set TF2TVM_ARTIFACT_DIR=OUT before running the graph.

A compiled SavedModel needs only the op library:

    tf2tvm_runtime.load_op_library()
    model = tf.saved_model.load("OUT/saved_model")

load_op_library() first checks libtf2tvm_op.json (written beside the
library when it was built: the TensorFlow version and C++ ABI it was built
against) against the TensorFlow importing it, and refuses a mismatch with
error TF2TVM3006: a library built for another TensorFlow fails inside
dlopen with an "undefined symbol", before any code of its own could say why.

fallback_counts() tells how often bridge ops ran their cluster's TensorFlow
subgraph instead of TVM, per cluster and reason (docs/bridge-op.md).
"""

import ctypes
import json
import os

import tensorflow as tf

_HERE = os.path.dirname(os.path.abspath(__file__))
_BRIDGE_OP = "TF2TVMBridgeOp"

_RECORD = "libtf2tvm_op.json"

_op_library = None
_counts_library = None


class OpLibraryMismatch(RuntimeError):
    """The op library was built for another TensorFlow than the one running (TF2TVM3006)."""


def check_op_library(folder=_HERE):
    """Raises OpLibraryMismatch unless the record beside the op library in
    `folder` names this process's TensorFlow version and C++ ABI. A folder
    without a record (written by a tf2tvm before records) is not checked."""
    path = os.path.join(folder, _RECORD)
    if not os.path.exists(path):
        return
    with open(path, encoding="utf-8") as f:
        built = json.load(f)
    running = {"tensorflow": tf.__version__, "cxx11_abi": int(tf.sysconfig.CXX11_ABI_FLAG)}
    problems = []
    if built.get("tensorflow") != running["tensorflow"]:
        problems.append(
            f"built for TensorFlow {built.get('tensorflow')}, loaded into TensorFlow {running['tensorflow']}"
        )
    if built.get("cxx11_abi") != running["cxx11_abi"]:
        problems.append(
            f"built with _GLIBCXX_USE_CXX11_ABI={built.get('cxx11_abi')}, "
            f"this TensorFlow uses _GLIBCXX_USE_CXX11_ABI={running['cxx11_abi']}"
        )
    if problems:
        raise OpLibraryMismatch(
            "error TF2TVM3006: the tf2tvm op library does not match this TensorFlow: "
            + "; ".join(problems)
            + f" ({os.path.join(folder, 'libtf2tvm_op.so')}, recorded in {path}). Run it with the TensorFlow "
            "the record names, or compile the model again with a tf2tvm built for this TensorFlow."
        )


def load_op_library():
    """Loads libtf2tvm_op.so from this file's folder, once per process,
    after checking that it was built for this TensorFlow (check_op_library).

    TensorFlow refuses to register the op twice, so load the library from
    one place only (this function) rather than also by hand.
    """
    global _op_library
    if _op_library is None:
        check_op_library()
        _op_library = tf.load_op_library(os.path.join(_HERE, "libtf2tvm_op.so"))
    return _op_library


def load(out_dir):
    """Returns OUT/model.pb as a GraphDef whose bridge nodes find their artifacts.

    Loads the op library, then points the `artifact_dir` attr of every
    TF2TVMBridgeOp node (in the graph and in its function library) at the
    absolute path of `out_dir`, so the artifacts' relative paths resolve
    whatever the current directory or environment.
    """
    load_op_library()
    out_dir = os.path.abspath(out_dir)
    graph_def = tf.compat.v1.GraphDef()
    with open(os.path.join(out_dir, "model.pb"), "rb") as f:
        graph_def.ParseFromString(f.read())
    nodes = list(graph_def.node)
    for function in graph_def.library.function:
        nodes.extend(function.node_def)
    for node in nodes:
        if node.op == _BRIDGE_OP:
            node.attr["artifact_dir"].s = out_dir.encode()
    return graph_def


def _counts():
    """The op library through ctypes (the same loaded copy TensorFlow uses)."""
    global _counts_library
    if _counts_library is None:
        load_op_library()
        lib = ctypes.CDLL(os.path.join(_HERE, "libtf2tvm_op.so"))
        lib.TF2TVM_FallbackCounts.restype = ctypes.c_long
        lib.TF2TVM_FallbackCounts.argtypes = [ctypes.c_char_p, ctypes.c_long]
        lib.TF2TVM_ResetFallbackCounts.restype = None
        _counts_library = lib
    return _counts_library


def fallback_counts():
    """{cluster: {reason: calls}} for every bridge op call of this process that
    ran its cluster's TensorFlow subgraph instead of TVM.

    Reasons: no-artifact, missing, unreadable, sha256, cpu-features,
    load-error, run-error (docs/bridge-op.md, "Fallback").
    """
    lib = _counts()
    size = lib.TF2TVM_FallbackCounts(None, 0)
    while True:  # the counts may grow between the calls
        buf = ctypes.create_string_buffer(size + 64)
        size = lib.TF2TVM_FallbackCounts(buf, size + 64)
        if size < len(buf):
            return json.loads(buf.value.decode())


def reset_fallback_counts():
    """Sets every fallback count of this process back to zero."""
    _counts().TF2TVM_ResetFallbackCounts()
