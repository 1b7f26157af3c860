"""Small TensorFlow-side helpers shared by verify.py, bench.py and
cluster_timing.py (TensorFlow only; never imports tvm)."""

import tensorflow as tf

# Ops whose outputs a user never fetches as results.
NO_OUTPUT_OPS = {"Placeholder", "PlaceholderV2", "Const", "NoOp", "Assert"}


def load_graph_def(path):
    gd = tf.compat.v1.GraphDef()
    with open(path, "rb") as f:
        gd.ParseFromString(f.read())
    return gd


def graph_outputs(graph):
    """The outputs of ops nobody depends on: what a user of the graph fetches.
    Ops inside a loop frame cannot be fetched and are skipped."""
    outs = []
    for op in graph.get_operations():
        if op.type in NO_OUTPUT_OPS or op._control_outputs or op._get_control_flow_context() is not None:
            continue
        if any(t.consumers() for t in op.outputs):
            continue
        outs.extend(t.name for t in op.outputs if t.dtype != tf.resource)
    return outs


def random_input(rng, dtype, shape):
    """Standard-normal floats, small non-negative integers, random booleans."""
    dtype = tf.as_dtype(dtype)
    if dtype.is_floating:
        return rng.standard_normal(shape).astype(dtype.as_numpy_dtype)
    if dtype.is_integer:
        return rng.integers(0, 10, size=shape).astype(dtype.as_numpy_dtype)
    if dtype == tf.bool:
        return rng.integers(0, 2, size=shape).astype(bool)
    raise ValueError(f"cannot make a random input of dtype {dtype.name}")
