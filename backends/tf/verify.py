"""Runs the original and the rewritten graph in TensorFlow on the same random
inputs and compares every graph output. TensorFlow only: never imports tvm.

Usage: verify.py --model MODEL --out OUT --shape-sets JSON --rtol R --atol A [--seed N]
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

from tfgraph import graph_outputs, load_graph_def, random_input


def run(graph_def, feeds, fetches):
    g = tf.Graph()
    with g.as_default():
        tf.compat.v1.import_graph_def(graph_def, name="")
    config = tf.compat.v1.ConfigProto()
    with tf.compat.v1.Session(graph=g, config=config) as sess:
        return sess.run(fetches, feed_dict={f"{k}:0": v for k, v in feeds.items()})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--shape-sets", required=True)
    ap.add_argument("--rtol", type=float, required=True)
    ap.add_argument("--atol", type=float, required=True)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()

    spec = importlib.util.spec_from_file_location("tf2tvm_runtime", os.path.join(a.out, "runtime", "tf2tvm_runtime.py"))
    loader = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loader)

    original = load_graph_def(a.model)
    rewritten = loader.load(a.out)
    g = tf.Graph()
    with g.as_default():
        tf.compat.v1.import_graph_def(original, name="")
    fetches = graph_outputs(g)
    dtypes = {op.name: op.get_attr("dtype") for op in g.get_operations() if op.type == "Placeholder"}

    rng = np.random.default_rng(a.seed)
    sets = []
    for s in json.loads(a.shape_sets):
        feeds = {name: random_input(rng, dtypes[name], shape) for name, shape in s["shapes"].items()}
        want = run(original, feeds, fetches)
        got = run(rewritten, feeds, fetches)
        outs = []
        for name, w, h in zip(fetches, want, got, strict=True):
            w = np.asarray(w)
            h = np.asarray(h)
            if w.shape != h.shape:
                outs.append(
                    {
                        "name": name,
                        "max_abs_err": None,
                        "max_rel_err": None,
                        "ok": False,
                        "error": f"shape {list(h.shape)} != {list(w.shape)}",
                    }
                )
                continue
            if w.dtype.kind in "fc":
                diff = np.abs(h.astype(np.float64) - w.astype(np.float64))
                scale = float(np.max(np.abs(w))) if w.size else 0.0
            else:
                diff = (
                    np.abs(h.astype(np.int64) - w.astype(np.int64)) if w.dtype != bool else (h != w).astype(np.float64)
                )
                scale = float(np.max(np.abs(w.astype(np.float64)))) if w.size else 0.0
            max_abs = float(np.max(diff)) if diff.size else 0.0
            nan_mismatch = bool(np.any(np.isnan(h) != np.isnan(w))) if w.dtype.kind == "f" else False
            max_rel = max_abs / scale if scale > 0 else (0.0 if max_abs == 0 else float("inf"))
            ok = (not nan_mismatch) and max_abs <= a.atol + a.rtol * scale
            outs.append({"name": name, "max_abs_err": max_abs, "max_rel_err": max_rel, "ok": ok})
        sets.append({"key": s["key"], "ok": all(o["ok"] for o in outs), "outputs": outs})

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
    json.dump(
        {"ok": all(s["ok"] for s in sets), "outputs": [worst[n] for n in fetches], "shape_sets": sets}, sys.stdout
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
