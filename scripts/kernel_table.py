"""Writes the table of TensorFlow's CPU kernels by dtype for the ops tf2tvm
targets (scripts/gen-kernel-table passes the names on stdin, one a line).

For every op, each type attribute of its OpDef (T, Tparams, Tindices, ...)
with the union of the dtypes its CPU kernels register for it, as
tensorflow.python.framework.kernels.get_registered_kernels_for_op reports
them, restricted to the dtypes the coverage work is about. An attribute no
CPU kernel constrains takes the dtypes the OpDef allows (all, when it lists
none); an op with no CPU kernel is null
(kernels registered for DEFAULT, every device, count as CPU ones). Keys keep the OpDef's attribute
order, dtypes the order below, so the file is the same on every run of one
TensorFlow version.

TensorFlow only. Usage: python scripts/kernel_table.py --out FILE < names
"""

import argparse
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf
from tensorflow.python.framework import dtypes, kernels, op_def_registry

DTYPES = ["float32", "float16", "bfloat16", "float64", "int8", "uint8", "int16", "int32", "int64", "bool"]


def names_of(types):
    out = set()
    for t in types:
        try:
            out.add(dtypes.as_dtype(t).name)
        except TypeError:  # a DataType this TensorFlow has no Python dtype for
            pass
    return out


def table_of(op):
    cpu = [k for k in kernels.get_registered_kernels_for_op(op).kernel if k.device_type in ("CPU", "DEFAULT")]
    if not cpu:
        return None
    constrained = {}
    for k in cpu:
        for c in k.constraint:
            constrained.setdefault(c.name, set()).update(names_of(c.allowed_values.list.type))
    table = {}
    for a in op_def_registry.get(op).attr:
        if a.type not in ("type", "list(type)"):
            continue
        allowed = names_of(a.allowed_values.list.type) or set(DTYPES)
        table[a.name] = [d for d in DTYPES if d in allowed and d in constrained.get(a.name, allowed)]
    return table


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True)
    args = p.parse_args()
    names = [line.strip() for line in sys.stdin if line.strip()]
    doc = {
        "generator": "scripts/gen-kernel-table",
        "tensorflow": tf.__version__,
        "dtypes": DTYPES,
        "ops": {op: table_of(op) for op in sorted(set(names))},
    }
    tmp = args.out + ".tmp"
    # One op a line: diffs after a TensorFlow change stay readable.
    ops = ",\n".join("  %s: %s" % (json.dumps(op), json.dumps(t)) for op, t in doc.pop("ops").items())
    head = json.dumps(doc)[:-1]
    with open(tmp, "w") as f:
        f.write('%s, "ops": {\n%s\n}}\n' % (head, ops))
    os.replace(tmp, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
