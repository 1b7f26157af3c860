"""Checks many (original graph, tf2tvm output) pairs in one TensorFlow process.

`tf2tvm verify` starts one Python per model (~5 s each, mostly importing
TensorFlow); the op conformance suite has hundreds of tiny cases, joined into
batch graphs (test/conformance/batches.ts: each case's nodes under
`<case>/`) that are compiled with `tf2tvm compile` and checked here in one
go: per batch, the joined original and the rewritten graph are imported once,
then each case's outputs are fetched alone (TensorFlow runs only the nodes
they need, so one case's failure does not hide the others). Same comparison
as backends/tf/verify.py (max|got - want| against max|want|), but on the
inputs stored with each case: they are drawn from each op's domain.

TensorFlow only: never imports tvm. Reads JSON on stdin:
    {"batches": [{"model": str, "out": str, "cases": [{"name": str, "case_dir": str}, ...]}, ...]}
prints one JSON object {case name: report} on stdout.
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "backends", "tf"))
from tfgraph import load_graph_def

BRIDGE_OP = "TF2TVMBridgeOp"


def rewritten_graph_def(out_dir):
    """OUT/model.pb with every bridge node pointed at OUT (what tf2tvm_runtime.load does)."""
    gd = load_graph_def(os.path.join(out_dir, "model.pb"))
    nodes = list(gd.node)
    for fn in gd.library.function:
        nodes.extend(fn.node_def)
    for node in nodes:
        if node.op == BRIDGE_OP:
            node.attr["artifact_dir"].s = os.path.abspath(out_dir).encode()
    return gd, sum(1 for n in nodes if n.op == BRIDGE_OP)


def session(graph_def):
    g = tf.Graph()
    with g.as_default():
        tf.compat.v1.import_graph_def(graph_def, name="")
    return tf.compat.v1.Session(graph=g)


def compare(want, got):
    want = np.asarray(want)
    got = np.asarray(got)
    if want.shape != got.shape or want.dtype != got.dtype:
        return {"ok": False, "error": f"{got.dtype}{list(got.shape)} != {want.dtype}{list(want.shape)}"}
    if want.dtype == np.bool_:
        diff = (got != want).astype(np.float64)
        scale = 1.0
    else:
        diff = np.abs(got.astype(np.float64) - want.astype(np.float64))
        scale = float(np.max(np.abs(want.astype(np.float64)))) if want.size else 0.0
    nan_mismatch = bool(np.any(np.isnan(got) != np.isnan(want))) if want.dtype.kind == "f" else False
    max_abs = float(np.nanmax(diff)) if diff.size else 0.0
    max_rel = max_abs / scale if scale > 0 else (0.0 if max_abs == 0 else float("inf"))
    return {"ok": not nan_mismatch, "max_abs_err": max_abs, "max_rel_err": max_rel, "nan_mismatch": nan_mismatch}


def bridges_of(graph_def, prefix):
    """The case's bridge nodes: those named under its prefix (cluster names are not)."""
    return sum(1 for n in graph_def.node if n.op == BRIDGE_OP and any(i.startswith(prefix) for i in n.input))


def load_input(path, dtype):
    """A stored input; bfloat16 ones are stored as their uint16 bits (NumPy has no bfloat16)."""
    a = np.load(path)
    return a.view(tf.bfloat16.as_numpy_dtype) if dtype == "bfloat16" else a


def check(case, original, rewritten, rewritten_def):
    with open(os.path.join(case["case_dir"], "meta.json")) as f:
        meta = json.load(f)
    prefix = case["name"] + "/"
    feeds = {
        f"{prefix}{inp['name']}:0": load_input(os.path.join(case["case_dir"], "inputs", f"{i}.npy"), inp["dtype"])
        for i, inp in enumerate(meta["inputs"])
    }
    fetches = [prefix + o for o in meta["outputs"]]
    want = original.run(fetches, feed_dict=feeds)
    got = rewritten.run(fetches, feed_dict=feeds)
    outs = [dict(name=name, **compare(w, h)) for name, w, h in zip(meta["outputs"], want, got, strict=True)]
    bridges = bridges_of(rewritten_def, prefix)
    return {"ok": all(o["ok"] for o in outs), "bridge_ops": bridges, "outputs": outs}


def check_batch(batch, report):
    try:
        original = session(load_graph_def(batch["model"]))
        rewritten_def, _ = rewritten_graph_def(batch["out"])
        rewritten = session(rewritten_def)
    except Exception as e:
        for case in batch["cases"]:
            report[case["name"]] = {"ok": False, "error": f"batch: {type(e).__name__}: {str(e).strip()[-800:]}"}
        return
    with original, rewritten:
        for case in batch["cases"]:
            try:
                report[case["name"]] = check(case, original, rewritten, rewritten_def)
            except Exception as e:  # one broken case must not hide the others
                report[case["name"]] = {"ok": False, "error": f"{type(e).__name__}: {str(e).strip()[-800:]}"}


def main():
    req = json.load(sys.stdin)
    batches = req["batches"]
    # The op library registers TF2TVMBridgeOp: once per process. Every OUT
    # ships the same library; load the first one.
    if batches:
        tf.load_op_library(os.path.join(batches[0]["out"], "runtime", "libtf2tvm_op.so"))
    report = {}
    for batch in batches:
        check_batch(batch, report)

    # JSON has no Infinity/NaN: a non-finite error is reported as null (and the case is not ok).
    def finite(o):
        if isinstance(o, dict):
            return {k: finite(v) for k, v in o.items()}
        if isinstance(o, list):
            return [finite(v) for v in o]
        if isinstance(o, float) and not np.isfinite(o):
            return None
        return o

    for r in report.values():
        for o in r.get("outputs", []):
            if not np.isfinite(o.get("max_rel_err", 0.0)):
                o["ok"] = False
    json.dump(finite(report), sys.stdout, allow_nan=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
