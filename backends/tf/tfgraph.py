"""Small TensorFlow-side helpers shared by verify.py, bench.py and
cluster_timing.py (TensorFlow only; never imports tvm)."""

import numpy as np
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


def _json_number(x):
    return x if np.isfinite(x) else None


def compare(name, w, h, rtol, atol):
    """One output's report: max abs and relative error, within tolerance or not.
    Equal values (infinities, NaN against NaN) differ by 0; a NaN on one side
    only fails. Errors that are not finite are reported as null."""
    w = np.asarray(w)
    h = np.asarray(h)
    if w.shape != h.shape:
        return {
            "name": name,
            "max_abs_err": None,
            "max_rel_err": None,
            "ok": False,
            "error": f"shape {list(h.shape)} != {list(w.shape)}",
        }
    if w.dtype.kind in "fc":
        wf = w.astype(np.float64)
        hf = h.astype(np.float64)
        same = (wf == hf) | (np.isnan(wf) & np.isnan(hf))
        with np.errstate(invalid="ignore"):
            diff = np.where(same, 0.0, np.abs(hf - wf))
        finite = np.abs(wf[np.isfinite(wf)])
        scale = float(np.max(finite)) if finite.size else 0.0
        nan_mismatch = bool(np.any(np.isnan(hf) != np.isnan(wf)))
    else:
        diff = np.abs(h.astype(np.int64) - w.astype(np.int64)) if w.dtype != bool else (h != w).astype(np.float64)
        scale = float(np.max(np.abs(w.astype(np.float64)))) if w.size else 0.0
        nan_mismatch = False
    max_abs = float(np.max(diff)) if diff.size else 0.0
    max_rel = max_abs / scale if scale > 0 else (0.0 if max_abs == 0 else float("inf"))
    ok = (not nan_mismatch) and max_abs <= atol + rtol * scale
    return {"name": name, "max_abs_err": _json_number(max_abs), "max_rel_err": _json_number(max_rel), "ok": ok}
