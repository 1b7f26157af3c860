"""Runs the clusters compile --emit onnx exported (OUT/clusters/<cluster>/
<shape-key>.onnx) in ONNX Runtime against TensorFlow's own numbers: the
original graph runs in TensorFlow on random inputs of each compiled shape
set, the tensors each cluster reads and produces are fetched, and the
cluster's ONNX model gets the same inputs. TensorFlow and ONNX Runtime only:
never imports tvm.

Usage: onnx_check.py --model MODEL.pb --out OUT [--rtol R] [--atol A] [--seed N]
       onnx_check.py --cases JSON (many output folders in one process)
Prints one JSON document on stdout:
  {"ok", "onnxruntime", "clusters": [{"cluster", "shapes", "path", "ok",
   "outputs": [{"name", "max_abs_err", "max_rel_err", "ok"}]}]}
A cluster whose model ONNX Runtime cannot load or run is reported on its own
("ok": false, "error", no outputs); the other clusters still run.
"""

import argparse
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import onnxruntime as ort
import tensorflow as tf

from tfgraph import compare, load_graph_def, random_input


def check(model, out, rtol, atol, rng, options):
    """The report of every exported cluster of one output folder, per compiled shape set."""
    with open(os.path.join(out, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    g = tf.Graph()
    with g.as_default():
        tf.compat.v1.import_graph_def(load_graph_def(model), name="")
    dtypes = {op.name: op.get_attr("dtype") for op in g.get_operations() if op.type == "Placeholder"}
    reports = []
    with tf.compat.v1.Session(graph=g) as sess:
        for s in manifest["shape_sets"]:
            key = s["key"]
            feeds = {f"{name}:0": random_input(rng, dtypes[name], shape) for name, shape in s["shapes"].items()}
            for c in manifest["clusters"]:
                rel = os.path.join("clusters", c["name"], f"{key}.onnx")
                if not os.path.exists(os.path.join(out, rel)):
                    continue
                tf_in, tf_out = sess.run([c["inputs"], c["outputs"]], feed_dict=feeds)
                try:
                    session = ort.InferenceSession(
                        os.path.join(out, rel), sess_options=options, providers=["CPUExecutionProvider"]
                    )
                    got = session.run(None, {f"in{j}": np.asarray(v) for j, v in enumerate(tf_in)})
                except Exception as e:  # a model ONNX Runtime cannot load or run fails alone, the others still run
                    reports.append(
                        {
                            "cluster": c["name"],
                            "shapes": key,
                            "path": rel,
                            "ok": False,
                            "error": f"{type(e).__name__}: {str(e).strip()[:2000]}",
                            "outputs": [],
                        }
                    )
                    continue
                outs = [
                    compare(name, want, have, rtol, atol)
                    for name, want, have in zip(c["outputs"], tf_out, got, strict=True)
                ]
                reports.append(
                    {
                        "cluster": c["name"],
                        "shapes": key,
                        "path": rel,
                        "ok": all(o["ok"] for o in outs),
                        "outputs": outs,
                    }
                )
    return reports


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model")
    ap.add_argument("--out")
    ap.add_argument("--cases", help='JSON list of {"name", "model", "out", "rtol"?}: many folders in one process')
    ap.add_argument("--rtol", type=float, default=1e-4)
    ap.add_argument("--atol", type=float, default=0.0)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    if a.cases is None:
        reports = check(a.model, a.out, a.rtol, a.atol, np.random.default_rng(a.seed), options)
        doc = {"ok": all(r["ok"] for r in reports), "onnxruntime": ort.__version__, "clusters": reports}
    else:
        cases = {}
        for c in json.loads(a.cases):
            rng = np.random.default_rng(a.seed)
            try:
                reports = check(c["model"], c["out"], c.get("rtol", a.rtol), a.atol, rng, options)
                cases[c["name"]] = {"ok": all(r["ok"] for r in reports), "clusters": reports}
            except Exception as e:  # one case's failure is reported, the others still run
                cases[c["name"]] = {
                    "ok": False,
                    "error": f"{type(e).__name__}: {str(e).strip()[:2000]}",
                    "clusters": [],
                }
        doc = {"ok": all(c["ok"] for c in cases.values()), "onnxruntime": ort.__version__, "cases": cases}
    json.dump(doc, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
