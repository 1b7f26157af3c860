"""Turns a model in another format into a frozen binary GraphDef that tf2tvm
reads: a SavedModel (one signature, variables folded to constants), a Keras
file (.keras or .h5, the batch dimension left open) or a text-format
GraphDef (.pbtxt, parsed strictly: an unknown field is an error). TensorFlow
only: never imports tvm.

Usage: freeze.py --kind saved_model|keras|pbtxt --model PATH --out FILE.pb
                 [--signature NAME] [--tags serve,...]

Prints one JSON document on stdout. Bad input is reported in it
({"ok": false, "error": KIND, "message": ..., ...}) and the script exits 0;
a non-zero exit means the step itself failed. On success:
{"ok": true, "kind", "inputs": [{"key", "placeholder", "dtype", "shape"}],
 "outputs": [{"key", "tensor"}], and for a SavedModel "signature", "tags",
 "signatures" (every signature of the chosen tag set)}.
"""

import argparse
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf
from google.protobuf import text_format
from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

DEFAULT_SIGNATURE = "serving_default"


def bad(kind, message, **extra):
    return {"ok": False, "error": kind, "message": message, **extra}


def shape_list(shape):
    if shape.rank is None:
        return None
    return [-1 if d is None else int(d) for d in shape.as_list()]


def frozen_io(fn, input_keys, output_keys):
    """Freezes a concrete function; its graph and the signature <-> tensor map."""
    frozen = convert_variables_to_constants_v2(fn)
    graph_def = frozen.graph.as_graph_def()
    placeholders = [t for t in frozen.inputs if t.dtype != tf.resource]
    if len(placeholders) != len(input_keys):
        raise RuntimeError(f"{len(placeholders)} inputs after freezing, {len(input_keys)} in the signature")
    if len(frozen.outputs) != len(output_keys):
        raise RuntimeError(f"{len(frozen.outputs)} outputs after freezing, {len(output_keys)} in the signature")
    inputs = [
        {"key": k, "placeholder": t.op.name, "dtype": t.dtype.name, "shape": shape_list(t.shape)}
        for k, t in zip(input_keys, placeholders, strict=True)
    ]
    outputs = [{"key": k, "tensor": t.name} for k, t in zip(output_keys, frozen.outputs, strict=True)]
    return graph_def, inputs, outputs


def tag_sets(path):
    from tensorflow.python.tools import saved_model_utils

    return [sorted(ts) for ts in saved_model_utils.get_saved_model_tag_sets(path)]


def freeze_saved_model(path, signature, tags):
    try:
        available = tag_sets(path)
    except Exception as e:  # any failure to parse it is bad input
        return bad("load", f"cannot read the SavedModel: {str(e).strip().splitlines()[0]}"), None
    if not available:
        return bad("load", "its saved_model.pb holds no MetaGraph (empty or damaged)"), None
    if sorted(tags) not in available:
        return bad("tags", f"no MetaGraph with tags {','.join(tags)}", tag_sets=available), None
    try:
        loaded = tf.saved_model.load(path, tags=tags)
    except Exception as e:
        return bad("load", f"TensorFlow cannot load it: {str(e).strip().splitlines()[0]}"), None
    names = sorted(loaded.signatures.keys())
    if not names:
        return bad("no-signature", "it has no signatures (a SavedModel saved without signatures=)"), None
    if signature is None:
        if DEFAULT_SIGNATURE in names:
            signature = DEFAULT_SIGNATURE
        elif len(names) == 1:
            signature = names[0]
        else:
            return bad("signature-ambiguous", "several signatures and none is serving_default", signatures=names), None
    if signature not in names:
        return bad("signature-unknown", f"no signature '{signature}'", signatures=names), None
    fn = loaded.signatures[signature]
    args, kwargs = fn.structured_input_signature
    if args:
        return bad("load", f"signature '{signature}' takes positional inputs; signatures take named ones"), None
    input_keys = tf.nest.flatten({k: k for k in kwargs})
    outputs = fn.structured_outputs
    if not isinstance(outputs, dict):
        return bad("load", f"signature '{signature}' does not return a dict"), None
    output_keys = tf.nest.flatten({k: k for k in outputs})
    graph_def, inputs, outs = frozen_io(fn, input_keys, output_keys)
    doc = {"ok": True, "kind": "saved_model", "signature": signature, "tags": tags, "signatures": names}
    return {**doc, "inputs": inputs, "outputs": outs}, graph_def


def freeze_keras(path):
    import keras

    try:
        model = keras.models.load_model(path, compile=False)
    except Exception as e:
        return bad("load", f"Keras cannot load it: {str(e).strip().splitlines()[0]}"), None
    specs = []
    keys = []
    for i, t in enumerate(model.inputs):
        shape = list(t.shape)
        shape[0] = None  # the batch stays open
        name = (getattr(t, "name", None) or f"input_{i}").split(":")[0]
        keys.append(name)
        specs.append(tf.TensorSpec(shape, t.dtype, name=name))

    @tf.function(input_signature=specs)
    def serve(*xs):
        y = model(list(xs) if len(xs) > 1 else xs[0], training=False)
        return y

    fn = serve.get_concrete_function()
    flat = tf.nest.flatten(fn.structured_outputs)
    names = [f"output_{i}" for i in range(len(flat))]
    if len(model.outputs) == len(flat):
        names = [getattr(o, "name", n).split(":")[0] for o, n in zip(model.outputs, names, strict=True)]
    graph_def, inputs, outs = frozen_io(fn, keys, names)
    return {"ok": True, "kind": "keras", "inputs": inputs, "outputs": outs}, graph_def


def parse_pbtxt(path):
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except UnicodeDecodeError:
        return bad("pbtxt", "it is not UTF-8 text"), None
    graph_def = tf.compat.v1.GraphDef()
    try:
        text_format.Parse(text, graph_def)
    except text_format.ParseError as e:
        return bad("pbtxt", str(e)), None
    return {"ok": True, "kind": "pbtxt", "inputs": [], "outputs": []}, graph_def


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kind", required=True, choices=["saved_model", "keras", "pbtxt"])
    ap.add_argument("--model", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--signature")
    ap.add_argument("--tags", default="serve")
    a = ap.parse_args()
    if a.kind == "saved_model":
        tags = [t for t in a.tags.split(",") if t]
        doc, graph_def = freeze_saved_model(a.model, a.signature, tags)
    elif a.kind == "keras":
        doc, graph_def = freeze_keras(a.model)
    else:
        doc, graph_def = parse_pbtxt(a.model)
    if graph_def is not None:
        with open(a.out, "wb") as f:
            f.write(graph_def.SerializeToString(deterministic=True))
    json.dump(doc, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
