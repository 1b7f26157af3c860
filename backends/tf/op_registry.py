"""TensorFlow's op registry as JSON, for tf2tvm's attribute check: for every
op TensorFlow registers, its attributes (type, whether a default exists, the
allowed values, the minimum), its input and its output arguments (how many
tensors each takes or gives, and of which dtype: a fixed one, a type attr's,
or one per dtype of a list attr). TensorFlow only; run once per toolchain (backends/tf/op-registry.ts
caches the document).

Usage: op_registry.py
Prints {"format": 2, "tensorflow": VERSION, "ops": {name: {"attrs": {...}, "inputs": [...], "outputs": [...]}}}.
Change FORMAT (and FORMAT in backends/tf/op-registry.ts) with the document's
layout: the cache file's name holds it, so an older dump is never read.
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf
from tensorflow.core.framework import op_def_pb2
from tensorflow.python.client import pywrap_tf_session

FORMAT = 2


def allowed(a):
    """The allowed values of an attribute definition, or None."""
    if not a.HasField("allowed_values"):
        return None
    lst = a.allowed_values.list
    base = a.type[5:-1] if a.type.startswith("list(") else a.type
    if base == "type":
        return [int(t) for t in lst.type]
    if base == "string":
        return [s.decode("utf-8", "replace") for s in lst.s]
    return None


def attr_entry(a):
    e = {"type": a.type}
    if a.HasField("default_value"):
        e["default"] = True
    vals = allowed(a)
    if vals is not None:
        e["allowed"] = vals
    if a.has_minimum:
        e["minimum"] = int(a.minimum)
    return e


def arg_entry(arg):
    """An input or output argument: how many tensors (one, N of a number attr,
    one per dtype of a list attr) and their dtype (fixed, or a type attr's)."""
    e = {"name": arg.name}
    if arg.number_attr:
        e["number"] = arg.number_attr
    if arg.type_list_attr:
        e["typeList"] = arg.type_list_attr
    elif arg.type_attr:
        e["typeAttr"] = arg.type_attr
    elif arg.type:
        e["dtype"] = int(arg.type)
    return e


def main():
    ops = op_def_pb2.OpList()
    ops.ParseFromString(pywrap_tf_session.TF_GetBuffer(pywrap_tf_session.TF_GetAllOpList()))
    doc = {}
    for op in sorted(ops.op, key=lambda o: o.name):
        doc[op.name] = {
            "attrs": {a.name: attr_entry(a) for a in op.attr},
            "inputs": [arg_entry(arg) for arg in op.input_arg],
            "outputs": [arg_entry(arg) for arg in op.output_arg],
        }
    json.dump({"format": FORMAT, "tensorflow": tf.__version__, "ops": doc}, sys.stdout, sort_keys=True)


if __name__ == "__main__":
    main()
