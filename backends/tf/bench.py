"""Benchmarks a model three ways in one TensorFlow process: the original
graph in TF, the original graph with XLA JIT on CPU, and the rewritten graph
with its TF2TVMBridgeOp nodes; then every cluster alone (cluster_timing.py).
TensorFlow only: never imports tvm.

    bench.py --model MODEL --out OUT [--runs N] [--warmup N] [--threads N]
             [--seed S] [--cluster-runs N] [--min-time S] [--no-clusters]

Prints one JSON document on stdout (progress on stderr):

    {"ok", "model", "out", "runs", "min_time", "warmup", "threads", "cpu", "tensorflow",
     "xla": {"available", "compiled_clusters", "reason"},
     "tf_ms", "xla_ms", "tf2tvm_ms", "<same>_p10_ms", "<same>_p90_ms",
     "speedup_vs_tf", "speedup_vs_xla", "max_rel_err": {"tf2tvm", "xla"},
     "shape_sets": [{"key", "runs" (the calls timed), the same fields}], "clusters": [...]}

The top-level times are those of the first compiled shape set; shape_sets
has all. Times: ms per session call (Session.make_callable, every graph
output fetched), median and 10th/90th percentiles of `runs` calls after
`warmup` calls, the three variants interleaved call by call; with --min-time
S, more rounds until each variant's timed calls add up to S seconds (at
most 100 x `runs`), so that a sub-millisecond graph, whose calls are mostly
the session's fixed cost, gets enough calls for a steady median.

Same threads on every side: TF intra_op_parallelism_threads = N,
inter_op_parallelism_threads = 1 (one op at a time: a cluster is one op, so
more inter-op threads would let TF overlap independent ops in the original
graph, and measure TF's scheduler rather than the kernels), and
TF2TVM_NUM_THREADS = N: the bridge ops run TVM's parallel loops as N tasks on
TF's intra-op pool. XLA's compiled code uses that same intra-op pool.

XLA: auto-clustering with global_jit_level ON_1 and
TF_XLA_FLAGS=--tf_xla_cpu_global_jit (set before TensorFlow is imported).
It counts as available when a traced run after warm-up executed _XlaRun;
otherwise xla_ms is null and xla.reason says why.
"""

import argparse
import json
import os
import sys

# XLA's CPU auto-clustering flag is read when TensorFlow first needs it.
_flags = os.environ.get("TF_XLA_FLAGS", "")
if "--tf_xla_cpu_global_jit" not in _flags:
    os.environ["TF_XLA_FLAGS"] = (_flags + " --tf_xla_cpu_global_jit").strip()
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import cluster_timing as ct  # noqa: E402
from tfgraph import graph_outputs  # noqa: E402


def log(message):
    print(message, file=sys.stderr, flush=True)


def xla_config(threads):
    config = ct.session_config(threads)
    config.graph_options.optimizer_options.global_jit_level = tf.compat.v1.OptimizerOptions.ON_1
    return config


class Variant:
    """One session over a GraphDef, callable with the graph inputs in a fixed order."""

    def __init__(self, graph_def, feeds, fetches, config):
        self.graph = tf.Graph()
        with self.graph.as_default():
            tf.compat.v1.import_graph_def(graph_def, name="")
        self.session = tf.compat.v1.Session(graph=self.graph, config=config)
        self.feeds = [self.graph.get_tensor_by_name(f"{n}:0") for n in feeds]
        self.fetches = [self.graph.get_tensor_by_name(t) for t in fetches]
        self.call = self.session.make_callable(self.fetches, feed_list=self.feeds)

    def traced_ops(self, args):
        """Labels of the kernels one traced run executed."""
        meta = tf.compat.v1.RunMetadata()
        options = tf.compat.v1.RunOptions(trace_level=tf.compat.v1.RunOptions.FULL_TRACE)
        self.session.run(self.fetches, dict(zip(self.feeds, args, strict=True)), options=options, run_metadata=meta)
        return [ns.timeline_label or ns.node_name for dev in meta.step_stats.dev_stats for ns in dev.node_stats]

    def close(self):
        self.session.close()


def spread(prefix, times):
    median, p10, p90 = ct.percentiles_ms(times)
    return {f"{prefix}_ms": median, f"{prefix}_p10_ms": p10, f"{prefix}_p90_ms": p90}


def ratio(a, b):
    return a / b if a is not None and b not in (None, 0) else None


def bench_shape_set(model, shape_set, fetches, runs, warmup, threads, rng, xla_state, compare=None, min_seconds=0.0):
    key = shape_set["key"]
    entry = {"key": key}
    feeds = model.graph_feeds(shape_set, rng)
    if feeds is None:
        entry["error"] = "the shape set does not give every graph input a shape"
        return entry
    names = list(feeds)
    args = [feeds[n] for n in names]
    variants = {}
    try:
        variants["tf"] = Variant(model.original, names, fetches, ct.session_config(threads))
        variants["tf2tvm"] = Variant(model.rewritten, names, fetches, ct.session_config(threads))
        want = variants["tf"].call(*args)
        got = variants["tf2tvm"].call(*args)
        entry["max_rel_err"] = {"tf2tvm": ct.max_rel_err(want, got), "xla": None}
        if compare is not None:
            variants["compare"] = Variant(compare.rewritten, names, fetches, ct.session_config(threads))
            entry["max_rel_err"]["compare"] = ct.max_rel_err(want, variants["compare"].call(*args))

        xla_reason = None
        try:
            variants["xla"] = Variant(model.original, names, fetches, xla_config(threads))
            entry["max_rel_err"]["xla"] = ct.max_rel_err(want, variants["xla"].call(*args))
            # XLA compiles a cluster lazily, after it has run a few times.
            for _ in range(max(warmup, 3)):
                variants["xla"].call(*args)
            labels = variants["xla"].traced_ops(args)
            compiled = sorted({label.split(" = ")[0] for label in labels if "_XlaCompile" in label})
            ran = any("_XlaRun" in label for label in labels)
            xla_state["compiled_clusters"] = max(xla_state.get("compiled_clusters", 0), len(compiled))
            if not ran:
                xla_reason = (
                    "XLA formed no cluster in this graph"
                    if not compiled
                    else "XLA clusters were formed but _XlaRun did not run after warm-up"
                )
        except Exception as e:  # an XLA-less TensorFlow build, or a graph XLA rejects
            xla_reason = f"{type(e).__name__}: {e}".strip().splitlines()[0][:300]
        if xla_reason is not None:
            xla_state.setdefault("reason", xla_reason)
            entry["max_rel_err"]["xla"] = None
            if "xla" in variants:
                variants.pop("xla").close()
        else:
            xla_state["available"] = True

        order = [k for k in ("tf", "xla", "tf2tvm", "compare") if k in variants]
        log(f"bench: {key}: timing {', '.join(order)} ({runs} runs after {warmup} warm-up, interleaved)")
        times = ct.time_interleaved([variants[k].call for k in order], args, runs, warmup, min_seconds)
        entry["runs"] = len(times[0])
        measured = dict(zip(order, times, strict=True))
        entry.update(spread("tf", measured["tf"]))
        if "xla" in measured:
            entry.update(spread("xla", measured["xla"]))
        else:
            entry.update({"xla_ms": None, "xla_p10_ms": None, "xla_p90_ms": None})
        entry.update(spread("tf2tvm", measured["tf2tvm"]))
        if "compare" in measured:
            entry.update(spread("compare", measured["compare"]))
            entry["compare_vs_tf"] = ratio(entry["tf_ms"], entry["compare_ms"])
            # Paired: the two outputs' calls alternate within each run.
            entry["compare_vs_tf2tvm"] = float(np.median(np.array(measured["tf2tvm"]) / np.array(measured["compare"])))
        entry["speedup_vs_tf"] = ratio(entry["tf_ms"], entry["tf2tvm_ms"])
        entry["speedup_vs_xla"] = ratio(entry["xla_ms"], entry["tf2tvm_ms"])
        entry["xla_vs_tf"] = ratio(entry["tf_ms"], entry["xla_ms"])
    except Exception as e:
        entry["error"] = f"{type(e).__name__}: {e}".strip()[:2000]
    finally:
        for v in variants.values():
            v.close()
    return entry


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0, help="default: the usable cores")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cluster-runs", type=int, default=0, help="default: --runs")
    ap.add_argument("--min-time", type=float, default=0.0, help="seconds of timed calls per variant at least")
    ap.add_argument("--no-clusters", action="store_true")
    ap.add_argument("--compare", help="a second output folder of the same model, timed interleaved with --out")
    a = ap.parse_args(argv)
    if a.runs < 1 or a.warmup < 0 or a.threads < 0 or a.cluster_runs < 0 or not a.min_time >= 0:
        ap.error("--runs must be >= 1; --warmup, --threads, --cluster-runs, --min-time >= 0")
    threads = a.threads or ct.default_threads()
    ct.use_threads(threads)  # before any bridge kernel exists

    model = ct.Model(a.model, a.out)
    compare = ct.Model(a.model, a.compare, runtime=model.runtime) if a.compare else None
    fetches = graph_outputs(model.graph())
    rng = np.random.default_rng(a.seed)
    xla_state = {"available": False}
    sets = [
        bench_shape_set(model, s, fetches, a.runs, a.warmup, threads, rng, xla_state, compare, a.min_time)
        for s in model.manifest["shape_sets"]
    ]

    clusters = []
    if not a.no_clusters:
        clusters = ct.time_clusters(
            a.model,
            a.out,
            None,
            a.cluster_runs or a.runs,
            a.warmup,
            threads,
            a.seed,
            model=model,
            log=log,
            min_seconds=a.min_time,
        )

    doc = {
        "ok": all("error" not in s for s in sets) and all("error" not in c for c in clusters),
        "model": a.model,
        "out": a.out,
        "runs": a.runs,
        "min_time": a.min_time,
        "warmup": a.warmup,
        "threads": {"tf_intra_op": threads, "tf_inter_op": 1, "tvm": threads},
        "cpu": ct.cpu_model(),
        "tensorflow": tf.__version__,
        "xla": {
            "available": xla_state["available"],
            "compiled_clusters": xla_state.get("compiled_clusters", 0),
            "reason": None if xla_state["available"] else xla_state.get("reason"),
        },
        "outputs": fetches,
    }
    first = sets[0] if sets else {}
    for k in ("tf", "xla", "tf2tvm"):
        for suffix in ("_ms", "_p10_ms", "_p90_ms"):
            doc[k + suffix] = first.get(k + suffix)
    for k in ("speedup_vs_tf", "speedup_vs_xla", "xla_vs_tf", "max_rel_err"):
        doc[k] = first.get(k)
    if compare is not None:
        doc["compare"] = a.compare
        for k in ("compare_ms", "compare_p10_ms", "compare_p90_ms", "compare_vs_tf", "compare_vs_tf2tvm"):
            doc[k] = first.get(k)
    doc["shape_sets"] = sets
    doc["clusters"] = clusters
    json.dump(doc, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
