"""TensorFlow's own shape inference, as a fallback for ops tf2tvm has no type
rule for (or refuses): with the placeholders fixed to each requested shape
set, report the static dtype and shape of every op output. TensorFlow only.

Usage: tf_shapes.py --model MODEL --shape-sets JSON
Prints {"sets": [{node: [[dtype_enum, dims or null], ...]}]} on stdout, or
{"error": MESSAGE} when TensorFlow refuses to import the graph (bad input,
which tf2tvm reports as such).
"""

import argparse
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--shape-sets", required=True)
    a = ap.parse_args()
    with open(a.model, "rb") as f:
        data = f.read()
    out = []
    for s in json.loads(a.shape_sets):
        gd = tf.compat.v1.GraphDef()
        gd.ParseFromString(data)
        for node in gd.node:
            if node.op in ("Placeholder", "PlaceholderV2") and node.name in s["shapes"]:
                dims = s["shapes"][node.name]
                node.attr["shape"].shape.CopyFrom(tf.TensorShape(dims).as_proto())
        g = tf.Graph()
        try:
            with g.as_default():
                tf.compat.v1.import_graph_def(gd, name="")
        except (ValueError, TypeError, KeyError, tf.errors.OpError) as e:
            json.dump({"error": str(e)}, sys.stdout)
            return
        types = {}
        for op in g.get_operations():
            outs = []
            for t in op.outputs:
                shape = t.shape.as_list() if t.shape.is_fully_defined() else None
                outs.append([t.dtype.as_datatype_enum, shape])
            types[op.name] = outs
        out.append(types)
    json.dump({"sets": out}, sys.stdout)


if __name__ == "__main__":
    main()
