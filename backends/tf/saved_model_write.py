"""Writes OUT/saved_model/: the rewritten graph (OUT/model.pb, with its bridge
ops and their fallback functions) as a SavedModel with the original
signature's name, input names and output keys. TensorFlow only: never
imports tvm.

Self-contained: the artifacts are copied under saved_model/assets/, beside
one asset file (tf2tvm_artifacts.json) that every bridge node reads as its
artifact_root input. TensorFlow's loaders (tf.saved_model.load, the C++
loader of TensorFlow Serving and saved_model_cli) resolve an asset to where
the model is loaded from, so a moved or copied folder still finds its
artifacts (docs/bridge-op.md, "Artifacts of a SavedModel").

Usage: saved_model_write.py --out OUT --spec JSON
  JSON: {"signature", "inputs": [{"key", "placeholder", "dtype", "shape"}],
         "outputs": [{"key", "tensor"}]}
Prints one JSON document on stdout: {"ok": true, "path", "assets": N}.
"""

import argparse
import importlib.util
import json
import os
import shutil
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf

BRIDGE_OP = "TF2TVMBridgeOp"
ANCHOR = "tf2tvm_artifacts.json"
ROOT_NODE = "tf2tvm_artifact_root"


def load_runtime(out):
    spec = importlib.util.spec_from_file_location("tf2tvm_runtime", os.path.join(out, "runtime", "tf2tvm_runtime.py"))
    runtime = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(runtime)
    runtime.load_op_library()
    return runtime


def spec_shape(shape):
    """A shape as freeze.py reports it (-1: unknown dimension; null: unknown rank)."""
    return None if shape is None else [None if d < 0 else d for d in shape]


def with_root_input(graph_def):
    """The graph with a string placeholder every bridge node reads as artifact_root."""
    names = {n.name for n in graph_def.node}
    root = ROOT_NODE
    while root in names:
        root += "_"
    out = tf.compat.v1.GraphDef()
    out.CopyFrom(graph_def)
    ph = out.node.add()
    ph.name = root
    ph.op = "Placeholder"
    ph.attr["dtype"].type = tf.string.as_datatype_enum
    ph.attr["shape"].shape.CopyFrom(tf.TensorShape([]).as_proto())
    for node in out.node:
        if node.op != BRIDGE_OP:
            continue
        controls = [i for i in node.input if i.startswith("^")]
        data = [i for i in node.input if not i.startswith("^")]
        del node.input[:]
        node.input.extend([*data, root, *controls])
        node.attr["Troot"].list.type[:] = [tf.string.as_datatype_enum]
    return out, root


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--spec", required=True)
    a = ap.parse_args()
    spec = json.loads(a.spec)
    load_runtime(a.out)
    with open(os.path.join(a.out, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    artifacts = sorted(
        ({"path": x["path"], "sha256": x["sha256"]} for c in manifest["clusters"] for x in c["artifacts"]),
        key=lambda x: x["path"],
    )

    graph_def = tf.compat.v1.GraphDef()
    with open(os.path.join(a.out, "model.pb"), "rb") as f:
        graph_def.ParseFromString(f.read())
    graph_def, root = with_root_input(graph_def)

    tmp = tempfile.mkdtemp(prefix="tf2tvm-anchor-")
    try:
        anchor = os.path.join(tmp, ANCHOR)
        with open(anchor, "w", encoding="utf-8") as f:
            json.dump({"tf2tvm": 1, "artifacts": artifacts}, f, indent=2, sort_keys=True)
            f.write("\n")

        module = tf.Module()
        module.tf2tvm_artifacts = tf.saved_model.Asset(anchor)
        inputs = spec["inputs"]
        outputs = spec["outputs"]
        specs = [tf.TensorSpec(spec_shape(x["shape"]), tf.as_dtype(x["dtype"]), name=x["key"]) for x in inputs]

        def serve(*args):
            feeds = {f"{x['placeholder']}:0": arg for x, arg in zip(inputs, args, strict=True)}
            feeds[f"{root}:0"] = tf.identity(module.tf2tvm_artifacts.asset_path)
            results = tf.graph_util.import_graph_def(
                graph_def, input_map=feeds, return_elements=[o["tensor"] for o in outputs], name="tf2tvm"
            )
            return {o["key"]: tf.identity(t, name=o["key"]) for o, t in zip(outputs, results, strict=True)}

        module.serve = tf.function(serve, input_signature=specs)
        target = os.path.join(a.out, "saved_model")
        tf.saved_model.save(module, target, signatures={spec["signature"]: module.serve.get_concrete_function()})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    for x in artifacts:
        dst = os.path.join(target, "assets", x["path"])
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        src = os.path.join(a.out, x["path"])
        try:
            os.link(src, dst)
        except OSError:
            shutil.copyfile(src, dst)
    json.dump({"ok": True, "path": target, "assets": len(artifacts)}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
