"""Times each compiled cluster alone: its TensorFlow subgraph against its
TF2TVMBridgeOp. TensorFlow only: never imports tvm (the op library needs only
libtvm_runtime.so).

    cluster_timing.py --model MODEL --out OUT [--clusters a,b] [--runs N]
                      [--warmup N] [--threads N] [--seed S]

prints one JSON document:

    {"ok", "model", "out", "runs", "warmup", "threads": {...}, "cpu",
     "clusters": [{"cluster", "shapes", "nodes", "inputs", "input_shapes",
                   "tf_ms", "tvm_ms", "speedup", "speedup_p10", "speedup_p90",
                   "tvm_wins", "pairs", "p_faster",
                   "saved_ms", "max_rel_err", "fallback_calls",
                   "tf_p10_ms", "tf_p90_ms", "tvm_p10_ms", "tvm_p90_ms"}
                  or {"cluster", "shapes", "nodes", "error"}]}

one entry per cluster and compiled shape set. For each:

(a) TF side: the cluster's member nodes taken from the original GraphDef,
    plus the non-member nodes they read that do not depend on a graph input
    (the Const weights and their Identity reads), with every cluster input
    tensor replaced by a Placeholder of the dtype and shape the bridge node
    declares for that shape set, and each output read through an Identity
    (as the rest of the model reads it). Control inputs from outside are
    dropped.
(b) TVM side: Placeholders -> a copy of the cluster's TF2TVMBridgeOp node
    from OUT/model.pb, artifact_dir set to OUT (as the loader does), with
    the functions of OUT/model.pb's library it names (its `native_func`,
    and what that calls), so a call no artifact can run falls back as it
    would in the model.

Both get the same inputs: the values the cluster input tensors take when the
original graph runs on random graph inputs of that shape set ("captured"), or
random values where a tensor cannot be fetched (inside a loop frame) or the
graph has inputs the shape set does not give ("random"). Outputs are
compared (max_rel_err = max|tvm - tf| / max|tf| over all outputs), then both
run `runs` times each, interleaved, after `warmup` runs each; times are the
median and 10th/90th percentiles of one call, in ms, through
Session.make_callable; speedup is the median over runs of tf/tvm within one
run (the two calls of a run are back to back, so they see the same machine:
steadier than the ratio of the medians when the machine is shared), with
its 10th/90th percentiles; tvm_wins counts the runs TVM was faster in and
p_faster is the sign test's one-sided p-value for "TVM is faster". Both sides include one session call's fixed cost
(a fraction of a millisecond), so for small clusters saved_ms = tf_ms -
tvm_ms says more than the speedup ratio. fallback_calls counts the bridge
node's calls (the check and the timed ones) that ran its native function
instead of TVM (an artifact that cannot load or run here): 0 when the TVM
side timed TVM. Thread settings, the same on both sides: TF
intra_op_parallelism_threads = threads, inter_op_parallelism_threads = 1,
TF2TVM_NUM_THREADS = threads (the bridge op's parallel loops on TF's
intra-op pool; see docs/bridge-op.md "Threads").

As a module: time_clusters(...) returns the list of entries; bench.py uses
it. `tf2tvm compile --select measured` is meant to call the CLI.
"""

import argparse
import json
import math
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf

from tfgraph import load_graph_def, random_input

BRIDGE_OP = "TF2TVMBridgeOp"
# Ops whose value does not come from the data flow of one step: a node
# reading one of them is not a constant subgraph.
NOT_CONSTANT = {
    "Placeholder",
    "PlaceholderV2",
    "PlaceholderWithDefault",
    "VarHandleOp",
    "VariableV2",
    "Variable",
    "ReadVariableOp",
    "RandomUniform",
    "RandomStandardNormal",
    "TruncatedNormal",
    "Enter",
    "Merge",
    "Switch",
    "NextIteration",
    "Exit",
    "LoopCond",
}


def default_threads():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def session_config(threads):
    config = tf.compat.v1.ConfigProto(intra_op_parallelism_threads=threads, inter_op_parallelism_threads=1)
    return config


def use_threads(threads):
    """TVM's parallel loops in bridge ops: read by each kernel when a session creates it."""
    os.environ["TF2TVM_NUM_THREADS"] = str(threads)


def load_runtime(out_dir):
    """OUT/runtime/tf2tvm_runtime.py as a module (it loads the op library once)."""
    import importlib.util

    path = os.path.join(out_dir, "runtime", "tf2tvm_runtime.py")
    spec = importlib.util.spec_from_file_location("tf2tvm_runtime", path)
    module = sys.modules.get("tf2tvm_runtime")
    if module is None or os.path.abspath(getattr(module, "__file__", "")) != os.path.abspath(path):
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules["tf2tvm_runtime"] = module
    return module


def parse_input(name):
    """'^a' -> (a, None, True); 'a:1' -> (a, 1, False); 'a' -> (a, 0, False)."""
    if name.startswith("^"):
        return name[1:], None, True
    node, _, index = name.partition(":")
    return node, int(index) if index else 0, False


def max_rel_err(want, got):
    worst = 0.0
    for w, h in zip(want, got, strict=True):
        w = np.asarray(w)
        h = np.asarray(h)
        if w.shape != h.shape:
            return float("inf")
        if w.size == 0:
            continue
        wf = w.astype(np.float64)
        hf = h.astype(np.float64)
        if w.dtype.kind == "f":
            if np.any(np.isnan(wf) != np.isnan(hf)):
                return float("inf")
            ok = ~np.isnan(wf)
            wf, hf = wf[ok], hf[ok]
            if wf.size == 0:
                continue
        diff = float(np.max(np.abs(hf - wf)))
        scale = float(np.max(np.abs(wf)))
        rel = diff / scale if scale > 0 else (0.0 if diff == 0 else float("inf"))
        worst = max(worst, rel)
    return worst


def sign_test(wins, n):
    """P(at least `wins` of `n` pairs go to TVM | both sides equally fast):
    the one-sided sign test's p-value that TVM is faster."""
    if n == 0:
        return 1.0
    # Integer division of exact counts: 2.0**n overflows a float past n = 1023.
    return sum(math.comb(n, k) for k in range(wins, n + 1)) / (1 << n)


def percentiles_ms(times):
    a = np.asarray(times) * 1e3
    return float(np.median(a)), float(np.percentile(a, 10)), float(np.percentile(a, 90))


class Model:
    """The original graph, the rewritten one and the manifest of one output folder."""

    def __init__(self, model_path, out_dir, runtime=None):
        """`runtime`: another Model's, for a second output of the same model in this
        process (an op library loaded twice registers its kernel twice)."""
        self.model_path = model_path
        self.out_dir = os.path.abspath(out_dir)
        with open(os.path.join(self.out_dir, "manifest.json")) as f:
            self.manifest = json.load(f)
        self.original = load_graph_def(model_path)
        self.nodes = {n.name: n for n in self.original.node}
        self.runtime = runtime or load_runtime(self.out_dir)
        self.rewritten = self.runtime.load(self.out_dir)  # artifact_dir set to OUT
        self.bridges = {}
        nodes = list(self.rewritten.node)
        for function in self.rewritten.library.function:
            nodes.extend(function.node_def)
        for node in nodes:
            if node.op == BRIDGE_OP:
                self.bridges[node.attr["cluster"].s.decode()] = node
        self._graph = None

    def graph(self):
        if self._graph is None:
            self._graph = tf.Graph()
            with self._graph.as_default():
                tf.compat.v1.import_graph_def(self.original, name="")
        return self._graph

    def placeholders(self):
        g = self.graph()
        return {
            op.name: op.get_attr("dtype") for op in g.get_operations() if op.type in ("Placeholder", "PlaceholderV2")
        }

    def graph_feeds(self, shape_set, rng):
        """Random values for the graph inputs of one manifest shape set; None if it misses one."""
        feeds = {}
        for name, dtype in self.placeholders().items():
            shape = shape_set["shapes"].get(name)
            if shape is None:
                op = self.graph().get_operation_by_name(name)
                dims = op.outputs[0].shape
                if not dims.is_fully_defined():
                    return None
                shape = dims.as_list()
            feeds[name] = random_input(rng, dtype, shape)
        return feeds


def fallback_calls(model, cluster):
    """The process's fallback calls of a cluster so far, every reason."""
    return sum(model.runtime.fallback_counts().get(cluster, {}).values())


def bridge_signature(bridge, artifact_path):
    """Input dtypes, input shapes and output dtypes of one artifact of a bridge node."""
    tin = list(bridge.attr["Tin"].list.type)
    tout = list(bridge.attr["Tout"].list.type)
    paths = [p.decode() for p in bridge.attr["artifacts"].list.s]
    a = paths.index(artifact_path)
    shapes = [tf.TensorShape(s).as_list() for s in bridge.attr["input_shapes"].list.shape]
    return tin, shapes[a * len(tin) : (a + 1) * len(tin)], tout


def tf_subgraph(model, cluster, tin, in_shapes, tout):
    """(GraphDef, placeholder names, output tensor names) of a cluster's TF nodes."""
    members = set(cluster["nodes"])
    inputs = {}
    for i, t in enumerate(cluster["inputs"]):
        node, index, _ = parse_input(t)
        inputs[(node, index)] = f"tf2tvm_timing/in{i}"
    gd = tf.compat.v1.GraphDef()
    gd.versions.CopyFrom(model.original.versions)
    gd.library.CopyFrom(model.original.library)
    for i, (dtype, shape) in enumerate(zip(tin, in_shapes, strict=True)):
        ph = gd.node.add(name=f"tf2tvm_timing/in{i}", op="Placeholder")
        ph.attr["dtype"].type = dtype
        ph.attr["shape"].shape.CopyFrom(tf.TensorShape(shape).as_proto())

    # Members, then the constant subgraphs they read, in dependency order
    # of discovery (import_graph_def does not need topological order).
    wanted = [n for n in model.original.node if n.name in members]
    missing = members - {n.name for n in wanted}
    if missing:
        raise ValueError(f"cluster nodes not in the model: {sorted(missing)[:5]}")
    included = set(members)
    queue = list(wanted)
    while queue:
        node = queue.pop()
        copy = gd.node.add()
        copy.CopyFrom(node)
        if "_class" in copy.attr:  # colocation with nodes that may not be here
            del copy.attr["_class"]
        del copy.input[:]
        for name in node.input:
            src, index, control = parse_input(name)
            if control:
                if src in included and src in members:
                    copy.input.append(name)
                continue
            if (src, index) in inputs and node.name in members:
                copy.input.append(inputs[(src, index)] + ":0")
                continue
            copy.input.append(name)
            if src in included:
                continue
            producer = model.nodes.get(src)
            if producer is None:
                raise ValueError(f"node {node.name} reads {name}, which is not in the model")
            if producer.op in NOT_CONSTANT:
                raise ValueError(
                    f"cluster {cluster['name']}: {node.name} reads {name} "
                    f"({producer.op}), which is neither a cluster input nor a constant"
                )
            included.add(src)
            queue.append(producer)
    # Fetch each output through an Identity, as the rest of the model reads
    # it: fetching the producer itself lets Grappler's remapper fuse it away
    # in TF 2.18 (e.g. a BiasAdd that feeds x * sigmoid(x) and is fetched:
    # "Graph does not contain terminal node ...BiasAdd").
    fetches = []
    for o, t in enumerate(cluster["outputs"]):
        node, index, _ = parse_input(t)
        out = gd.node.add(name=f"tf2tvm_timing/out{o}", op="Identity", input=[f"{node}:{index}"])
        out.attr["T"].type = tout[o]
        fetches.append(f"tf2tvm_timing/out{o}:0")
    return gd, [f"tf2tvm_timing/in{i}:0" for i in range(len(tin))], fetches


def _attr_functions(attr_value, out):
    """Names of the functions an AttrValue refers to (func, list(func), nested)."""
    kind = attr_value.WhichOneof("value")
    funcs = [attr_value.func] if kind == "func" else list(attr_value.list.func) if kind == "list" else []
    for f in funcs:
        out.append(f.name)
        for v in f.attr.values():
            _attr_functions(v, out)


def needed_functions(library, nodes):
    """The part of a FunctionDefLibrary that `nodes` need: the functions their
    attrs name, the functions those call (attrs or op names of their body
    nodes) and the gradients of all of them, in the library's order."""
    by_name = {f.signature.name: f for f in library.function}
    gradients = {}
    for g in library.gradient:
        gradients.setdefault(g.function_name, []).append(g)
    stack = []
    for node in nodes:
        if node.op in by_name:
            stack.append(node.op)
        for v in node.attr.values():
            _attr_functions(v, stack)
    seen = set()
    while stack:
        name = stack.pop()
        if name in seen or name not in by_name:
            continue
        seen.add(name)
        fn = by_name[name]
        for v in fn.attr.values():
            _attr_functions(v, stack)
        for node in fn.node_def:
            if node.op in by_name:
                stack.append(node.op)
            for v in node.attr.values():
                _attr_functions(v, stack)
        stack.extend(g.gradient_func for g in gradients.get(name, []))
    out = tf.compat.v1.GraphDef().library
    for f in library.function:
        if f.signature.name in seen:
            out.function.add().CopyFrom(f)
    for g in library.gradient:
        if g.function_name in seen:
            out.gradient.add().CopyFrom(g)
    return out


def bridge_graph(bridge, tin, in_shapes, tout, library=None):
    """Placeholders -> a copy of the bridge node -> its outputs; with `library`
    (the rewritten graph's), the functions the node names come along."""
    gd = tf.compat.v1.GraphDef()
    if library is not None:
        gd.library.CopyFrom(needed_functions(library, [bridge]))
    for i, (dtype, shape) in enumerate(zip(tin, in_shapes, strict=True)):
        ph = gd.node.add(name=f"tf2tvm_timing/in{i}", op="Placeholder")
        ph.attr["dtype"].type = dtype
        ph.attr["shape"].shape.CopyFrom(tf.TensorShape(shape).as_proto())
    node = gd.node.add()
    node.CopyFrom(bridge)
    node.name = "tf2tvm_timing/bridge"
    del node.input[:]
    node.input.extend(f"tf2tvm_timing/in{i}" for i in range(len(tin)))
    return (
        gd,
        [f"tf2tvm_timing/in{i}:0" for i in range(len(tin))],
        [f"tf2tvm_timing/bridge:{o}" for o in range(len(tout))],
    )


class Callable:
    """A session over a GraphDef with one make_callable(fetches, feeds)."""

    def __init__(self, graph_def, feeds, fetches, threads):
        self.graph = tf.Graph()
        with self.graph.as_default():
            tf.compat.v1.import_graph_def(graph_def, name="")
        self.session = tf.compat.v1.Session(graph=self.graph, config=session_config(threads))
        self.call = self.session.make_callable(
            [self.graph.get_tensor_by_name(t) for t in fetches],
            feed_list=[self.graph.get_tensor_by_name(t) for t in feeds],
        )

    def close(self):
        self.session.close()


# With a minimum time, rounds go on past `runs` until every callable's timed
# calls add up to it, but to at most this many times `runs`.
MAX_ROUNDS_FACTOR = 100


def time_interleaved(callables, args, runs, warmup, min_seconds=0.0):
    """Per callable: the list of its call times in s, calls interleaved, order
    rotating: `runs` rounds, or more until each callable's calls add up to
    `min_seconds` (a sub-millisecond graph gets enough calls for a steady
    median), at most MAX_ROUNDS_FACTOR x `runs`."""
    for fn in callables:
        for _ in range(warmup):
            fn(*args)
    times = [[] for _ in callables]
    totals = [0.0 for _ in callables]
    order = list(range(len(callables)))
    r = 0
    while r < runs or (min(totals) < min_seconds and r < runs * MAX_ROUNDS_FACTOR):
        for k in order[r % len(order) :] + order[: r % len(order)]:
            t0 = time.perf_counter()
            callables[k](*args)
            dt = time.perf_counter() - t0
            times[k].append(dt)
            totals[k] += dt
        r += 1
    return times


def captured_inputs(model, clusters, shape_set, rng, threads):
    """Values of the clusters' input tensors when the original graph runs on random inputs.

    The session uses the timed sessions' thread count: TensorFlow sizes its
    process-wide intra-op pool from the first session a process creates, so a
    one-thread session here would leave every TF op timed later on one
    thread (while the bridge op, which runs on the calling thread too, would
    get two).
    """
    feeds = model.graph_feeds(shape_set, rng)
    if feeds is None:
        return {}
    g = model.graph()
    wanted = []
    for c in clusters:
        for t in c["inputs"]:
            node, index, _ = parse_input(t)
            name = f"{node}:{index}"
            try:
                op = g.get_operation_by_name(node)
            except KeyError:
                continue
            if op._get_control_flow_context() is not None or name in wanted:
                continue  # inside a loop frame: not fetchable
            wanted.append(name)
    if not wanted:
        return {}
    with tf.compat.v1.Session(graph=g, config=session_config(threads)) as sess:
        values = sess.run(wanted, {f"{k}:0": v for k, v in feeds.items()})
    return dict(zip(wanted, values, strict=True))


def time_clusters(
    model_path, out_dir, clusters=None, runs=50, warmup=5, threads=None, seed=0, model=None, log=None, min_seconds=0.0
):
    """One entry per cluster and compiled shape set (see the module doc)."""
    threads = threads or default_threads()
    use_threads(threads)
    model = model or Model(model_path, out_dir)
    chosen = model.manifest["clusters"]
    if clusters:
        known = {c["name"] for c in chosen}
        unknown = [c for c in clusters if c not in known]
        if unknown:
            raise KeyError(
                f"no compiled cluster named {', '.join(unknown)} in {os.path.join(out_dir, 'manifest.json')}"
            )
        chosen = [c for c in chosen if c["name"] in clusters]
    rng = np.random.default_rng(seed)
    entries = []
    for shape_set in model.manifest["shape_sets"]:
        key = shape_set["key"]
        with_set = [c for c in chosen if any(a["shapes"] == key for a in c["artifacts"])]
        try:
            captured = captured_inputs(model, with_set, shape_set, rng, threads)
        except Exception as e:  # fall back to random inputs
            if log:
                log(f"cluster_timing: running the original graph for {key} failed ({e}); random cluster inputs")
            captured = {}
        for c in with_set:
            artifact = next(a for a in c["artifacts"] if a["shapes"] == key)
            entry = {"cluster": c["name"], "shapes": key, "nodes": len(c["nodes"])}
            entries.append(entry)
            sessions = []
            try:
                bridge = model.bridges.get(c["name"])
                if bridge is None:
                    raise ValueError(f"no {BRIDGE_OP} node for cluster {c['name']} in OUT/model.pb")
                tin, in_shapes, tout = bridge_signature(bridge, artifact["path"])
                if len(c["outputs"]) != len(tout):
                    raise ValueError(f"manifest lists {len(c['outputs'])} outputs, the bridge node {len(tout)}")
                args, source = [], "captured"
                for t, dtype, shape in zip(c["inputs"], tin, in_shapes, strict=True):
                    node, index, _ = parse_input(t)
                    value = captured.get(f"{node}:{index}")
                    if value is None or list(np.shape(value)) != shape:
                        value, source = random_input(rng, dtype, shape), "random"
                    args.append(value)
                entry["input_shapes"] = in_shapes
                entry["inputs"] = source if args else "none"
                tf_gd, tf_feeds, tf_fetches = tf_subgraph(model, c, tin, in_shapes, tout)
                tvm_gd, tvm_feeds, tvm_fetches = bridge_graph(bridge, tin, in_shapes, tout, model.rewritten.library)
                sessions.append(Callable(tf_gd, tf_feeds, tf_fetches, threads))
                sessions.append(Callable(tvm_gd, tvm_feeds, tvm_fetches, threads))
                fell_back = fallback_calls(model, c["name"])
                want = sessions[0].call(*args)
                got = sessions[1].call(*args)
                entry["max_rel_err"] = max_rel_err(want, got)
                t_tf, t_tvm = time_interleaved([s.call for s in sessions], args, runs, warmup, min_seconds)
                tf_ms, tf_p10, tf_p90 = percentiles_ms(t_tf)
                tvm_ms, tvm_p10, tvm_p90 = percentiles_ms(t_tvm)
                # Each run calls both sides back to back, so a pair shares the
                # machine's state: the ratio within pairs is far steadier on a
                # noisy machine than the ratio of the two medians.
                ratios = [a / b for a, b in zip(t_tf, t_tvm, strict=True) if b > 0]
                wins = sum(1 for a, b in zip(t_tf, t_tvm, strict=True) if b < a)
                entry.update(
                    {
                        "tf_ms": tf_ms,
                        "tvm_ms": tvm_ms,
                        "speedup": float(np.median(ratios)) if ratios else None,
                        "speedup_p10": float(np.percentile(ratios, 10)) if ratios else None,
                        "speedup_p90": float(np.percentile(ratios, 90)) if ratios else None,
                        "tvm_wins": wins,
                        "pairs": len(t_tf),
                        "p_faster": sign_test(wins, len(t_tf)),
                        "saved_ms": tf_ms - tvm_ms,
                        "tf_p10_ms": tf_p10,
                        "tf_p90_ms": tf_p90,
                        "tvm_p10_ms": tvm_p10,
                        "tvm_p90_ms": tvm_p90,
                        "fallback_calls": fallback_calls(model, c["name"]) - fell_back,
                    }
                )
            except Exception as e:
                entry["error"] = f"{type(e).__name__}: {e}".strip()[:2000]
            finally:
                for s in sessions:
                    s.close()
            if log:
                if "error" in entry:
                    log(f"cluster_timing: {c['name']} {key}: {entry['error'].splitlines()[0]}")
                else:
                    log(
                        f"cluster_timing: {c['name']} {key}: TF {entry['tf_ms']:.3f} ms, "
                        f"TVM {entry['tvm_ms']:.3f} ms, x{entry['speedup']:.2f}, "
                        f"max rel err {entry['max_rel_err']:.1e}"
                        + (f"; {entry['fallback_calls']} calls fell back to TF" if entry["fallback_calls"] else "")
                    )
    return entries


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="the original frozen GraphDef")
    ap.add_argument("--out", required=True, help="the tf2tvm compile output folder")
    ap.add_argument("--clusters", default="", help="comma-separated cluster names (default: all)")
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0, help="default: the usable cores")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    a = ap.parse_args(argv)
    if a.runs < 1 or a.warmup < 0 or a.threads < 0:
        ap.error("--runs must be >= 1, --warmup and --threads >= 0")
    threads = a.threads or default_threads()
    names = [c.strip() for c in a.clusters.split(",") if c.strip()]
    log = None if a.quiet else (lambda m: print(m, file=sys.stderr, flush=True))
    try:
        entries = time_clusters(a.model, a.out, names, a.runs, a.warmup, threads, a.seed, log=log)
    except KeyError as e:
        print(f"cluster_timing: {e.args[0]}", file=sys.stderr)
        return 2
    doc = {
        "ok": all("error" not in e for e in entries),
        "model": a.model,
        "out": a.out,
        "runs": a.runs,
        "warmup": a.warmup,
        "threads": {"tf_intra_op": threads, "tf_inter_op": 1, "tvm": threads},
        "cpu": cpu_model(),
        "clusters": entries,
    }
    json.dump(doc, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
