"""Runs the original and the rewritten graph in TensorFlow on the same random
inputs and compares every graph output. TensorFlow only: never imports tvm.

Usage: verify.py --model MODEL --out OUT --shape-sets JSON --rtol R --atol A [--seed N]
                 [--saved-model --signature NAME --tags serve,...]
With --saved-model, MODEL is the original SavedModel and the comparison is
its signature against OUT/saved_model's signature of the same name, output
key by output key (the shape sets' placeholders mapped to the signature's
input names through OUT/manifest.json's "source").
Prints one JSON document on stdout.
"""

import argparse
import importlib.util
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf

from tfgraph import compare, graph_outputs, load_graph_def, random_input


def run(graph_def, feeds, fetches):
    g = tf.Graph()
    with g.as_default():
        tf.compat.v1.import_graph_def(graph_def, name="")
    config = tf.compat.v1.ConfigProto()
    with tf.compat.v1.Session(graph=g, config=config) as sess:
        return sess.run(fetches, feed_dict={f"{k}:0": v for k, v in feeds.items()})


def graph_pairs(a, loader, shape_sets, rng):
    """(key, names, want, got) per shape set: the original GraphDef against OUT/model.pb."""
    original = load_graph_def(a.model)
    rewritten = loader.load(a.out)
    g = tf.Graph()
    with g.as_default():
        tf.compat.v1.import_graph_def(original, name="")
    fetches = graph_outputs(g)
    dtypes = {op.name: op.get_attr("dtype") for op in g.get_operations() if op.type == "Placeholder"}
    for s in shape_sets:
        feeds = {name: random_input(rng, dtypes[name], shape) for name, shape in s["shapes"].items()}
        yield s["key"], fetches, run(original, feeds, fetches), run(rewritten, feeds, fetches)


def saved_model_pairs(a, loader, shape_sets, rng):
    """(key, names, want, got) per shape set: the SavedModel's signature against OUT/saved_model's."""
    loader.load_op_library()
    with open(os.path.join(a.out, "manifest.json"), encoding="utf-8") as f:
        source = json.load(f)["source"]
    tags = [t for t in a.tags.split(",") if t]
    want_fn = tf.saved_model.load(a.model, tags=tags).signatures[a.signature]
    got_fn = tf.saved_model.load(os.path.join(a.out, "saved_model")).signatures[a.signature]
    keys = [o["key"] for o in source["outputs"]]
    for s in shape_sets:
        feeds = {}
        for x in source["inputs"]:
            feeds[x["key"]] = tf.constant(random_input(rng, x["dtype"], s["shapes"][x["placeholder"]]))
        want = want_fn(**feeds)
        got = got_fn(**feeds)
        if sorted(got) != sorted(keys):
            raise SystemExit(f"OUT/saved_model's signature returns {sorted(got)}, the original {sorted(keys)}")
        yield s["key"], keys, [want[k].numpy() for k in keys], [got[k].numpy() for k in keys]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--shape-sets", required=True)
    ap.add_argument("--rtol", type=float, required=True)
    ap.add_argument("--atol", type=float, required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--saved-model", action="store_true")
    ap.add_argument("--signature")
    ap.add_argument("--tags", default="serve")
    a = ap.parse_args()

    spec = importlib.util.spec_from_file_location("tf2tvm_runtime", os.path.join(a.out, "runtime", "tf2tvm_runtime.py"))
    loader = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loader)

    rng = np.random.default_rng(a.seed)
    shape_sets = json.loads(a.shape_sets)
    pairs = saved_model_pairs if a.saved_model else graph_pairs
    sets = []
    names = []
    for key, names, want, got in pairs(a, loader, shape_sets, rng):
        outs = [compare(n, w, h, a.rtol, a.atol) for n, w, h in zip(names, want, got, strict=True)]
        sets.append({"key": key, "ok": all(o["ok"] for o in outs), "outputs": outs})

    worst = {}
    for s in sets:
        for o in s["outputs"]:
            cur = worst.get(o["name"])
            if (
                cur is None
                or (o["max_rel_err"] is None)
                or (cur["max_rel_err"] is not None and o["max_rel_err"] > cur["max_rel_err"])
            ):
                worst[o["name"]] = o
    json.dump({"ok": all(s["ok"] for s in sets), "outputs": [worst[n] for n in names], "shape_sets": sets}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
