"""Micro-benchmarks of TF2TVMBridgeOp (not tests): its fixed per-call cost,
with and without the fallback function, and what a fallback call costs.

Steps (scripts/bench-overhead runs them; TensorFlow only, never tvm):

    python bench_overhead.py graph WORK [--size N]
        writes WORK/add.pb: x: float32[N] -> AddV2(x, 1) -> y, the graph
        `tf2tvm compile --policy all` turns into one bridge node, compiled
        into WORK/fallback (as compile writes it by default: the node names
        its cluster's native function) and WORK/plain (--no-fallback).

    python bench_overhead.py run WORK --runtime DIR [--calls N] [--chain K] [--threads T] [--json]
        loads DIR/libtf2tvm_op.so and times, interleaved in one process, a
        chain of K copies of each compiled bridge node (x -> n0 -> n1 ...,
        every attr as compiled; the fallback chain's graph carries the
        compiled function library) and the same chain of TF AddV2 nodes,
        each also as a single node. Each round runs all six sessions once
        (order rotating); a round's per-node time of a variant is
        (chain run - single run) / (K - 1), so executor and session.run
        costs cancel. Reported: the median over rounds and the 10th/90th
        percentiles, and the median of the paired per-round differences with
        a 95% confidence interval of that median, in wall time and in
        process CPU time (steadier on a loaded machine). Every timed call
        must run TVM: the fallback counts are checked to be zero.

    python bench_overhead.py fallback WORK --runtime DIR --model MODEL [--processes P]
                             [--calls N] [--threads T] [--batch B] [--compiled C] [--json]
        WORK/dyn is MODEL compiled with `--batch 1,C`. Runs P child
        processes, alternately for the original graph and for the rewritten
        one at batch B (no artifact: every call falls back). Each child
        warms TensorFlow up on a trivial graph, then times its side's first
        call (session creation + first run: for the rewritten graph that
        includes instantiating the native function), the first call of a
        second session of the same side (the function is instantiated once
        per session's function library runtime), then N interleaved rounds
        of: original at B, rewritten at B (fallback), original at C,
        rewritten at C (TVM). Reported: medians over children of the first
        calls, medians and paired differences of the per-call times.
"""

import argparse
import ctypes
import json
import os
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

BRIDGE_OP = "TF2TVMBridgeOp"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def load_average():
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def summary(values):
    """Median, 10th/90th percentiles and a 95% confidence interval of the median
    (order statistics: ranks n/2 -+ 1.96 sqrt(n)/2), of a list of numbers."""
    import numpy as np

    a = np.sort(np.asarray(values, dtype=np.float64))
    n = len(a)
    half = 0.98 * n**0.5
    lo, hi = max(0, int(n / 2 - half)), min(n - 1, int(n / 2 + half))
    return {
        "median": float(np.median(a)),
        "p10": float(np.percentile(a, 10)),
        "p90": float(np.percentile(a, 90)),
        "ci95": [float(a[lo]), float(a[hi])],
        "n": n,
    }


def write_graph(work, size):
    import numpy as np
    import tensorflow as tf

    f32 = tf.float32.as_datatype_enum
    gd = tf.compat.v1.GraphDef()
    ph = gd.node.add(name="x", op="Placeholder")
    ph.attr["dtype"].type = f32
    ph.attr["shape"].shape.CopyFrom(tf.TensorShape([size]).as_proto())
    one = gd.node.add(name="one", op="Const")
    one.attr["dtype"].type = f32
    one.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(np.float32(1)))
    add = gd.node.add(name="add", op="AddV2", input=["x", "one"])
    add.attr["T"].type = f32
    out = gd.node.add(name="y", op="Identity", input=["add"])
    out.attr["T"].type = f32
    os.makedirs(work, exist_ok=True)
    with open(os.path.join(work, "add.pb"), "wb") as f:
        f.write(gd.SerializeToString())


def load_ops(runtime_dir):
    """The op library, and its fallback counters through ctypes (the same loaded copy)."""
    import tensorflow as tf

    path = os.path.join(os.path.abspath(runtime_dir), "libtf2tvm_op.so")
    tf.load_op_library(path)
    lib = ctypes.CDLL(path)
    lib.TF2TVM_FallbackCounts.restype = ctypes.c_long
    lib.TF2TVM_FallbackCounts.argtypes = [ctypes.c_char_p, ctypes.c_long]

    def counts():
        buf = ctypes.create_string_buffer(1 << 16)
        lib.TF2TVM_FallbackCounts(buf, len(buf))
        return json.loads(buf.value.decode())

    return counts


def compiled(out_dir):
    """OUT/model.pb with artifact_dir set to OUT, and its (only) bridge node."""
    import tensorflow as tf

    out_dir = os.path.abspath(out_dir)
    gd = tf.compat.v1.GraphDef()
    with open(os.path.join(out_dir, "model.pb"), "rb") as f:
        gd.ParseFromString(f.read())
    bridges = [n for n in gd.node if n.op == BRIDGE_OP]
    for node in bridges:
        node.attr["artifact_dir"].s = out_dir.encode()
    return gd, bridges


def run(work, runtime_dir, calls, chain, threads, as_json):
    import numpy as np
    import tensorflow as tf

    counts = load_ops(runtime_dir)
    f32 = tf.float32.as_datatype_enum
    models = {}
    for kind in ("fallback", "plain"):
        gd, bridges = compiled(os.path.join(work, kind))
        if len(bridges) != 1:
            raise SystemExit(f"bench_overhead: {work}/{kind}/model.pb has {len(bridges)} bridge nodes, not 1")
        has_func = bool(bridges[0].attr["native_func"].func.name)
        if has_func != (kind == "fallback") or (kind == "fallback") != (len(gd.library.function) > 0):
            raise SystemExit(f"bench_overhead: {work}/{kind}/model.pb: native_func or library not as expected")
        models[kind] = (bridges[0], gd.library)
    shape = [d.size for d in models["plain"][0].attr["input_shapes"].list.shape[0].dim]

    def graph(kind, length, placeholder_shape=shape):
        gd = tf.compat.v1.GraphDef()
        ph = gd.node.add(name="x", op="Placeholder")
        ph.attr["dtype"].type = f32
        ph.attr["shape"].shape.CopyFrom(tf.TensorShape(placeholder_shape).as_proto())
        if kind == "tf":
            one = gd.node.add(name="one", op="Const")
            one.attr["dtype"].type = f32
            one.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(np.float32(1)))
        else:
            bridge, library = models[kind]
            gd.library.CopyFrom(library)
        prev = "x"
        for k in range(length):
            name = f"n{k}"
            if kind == "tf":
                node = gd.node.add(name=name, op="AddV2", input=[prev, "one"])
                node.attr["T"].type = f32
            else:
                node = gd.node.add()
                node.CopyFrom(bridge)
                node.name = name
                del node.input[:]
                node.input.append(prev)
            prev = name
        return gd, prev

    config = tf.compat.v1.ConfigProto(intra_op_parallelism_threads=threads, inter_op_parallelism_threads=1)
    # Grappler would fold the whole AddV2 chain of a constant-free graph
    # into one op or constant-fold parts of it: keep the graphs as written.
    config.graph_options.rewrite_options.disable_meta_optimizer = True
    config.graph_options.optimizer_options.opt_level = tf.compat.v1.OptimizerOptions.L0
    config.graph_options.optimizer_options.do_constant_folding = False
    config.graph_options.optimizer_options.do_common_subexpression_elimination = False
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)

    def session(gd, last):
        g = tf.Graph()
        with g.as_default():
            tf.compat.v1.import_graph_def(gd, name="")
        sess = tf.compat.v1.Session(graph=g, config=config)
        return sess, g.get_tensor_by_name(last + ":0")

    # The fallback chain's function is real: a node fed a shape it has no
    # artifact for runs it (and counts it). Checked in its own session, then
    # the counts are reset by reading them as the baseline.
    sess, fetch = session(*graph("fallback", 2, [None]))
    other = rng.standard_normal([shape[0] + 3]).astype(np.float32)
    if not np.allclose(sess.run(fetch, {"x:0": other}), other + 2):
        raise SystemExit("bench_overhead: the native function gave a wrong result")
    sess.close()
    before = counts()
    if before.get("cluster_0", {}).get("no-artifact") != 2:
        raise SystemExit(f"bench_overhead: the fallback check did not fall back: {before}")

    kinds = ("fallback", "plain", "tf")
    sessions = {}
    for kind in kinds:
        for length in (1, chain):
            sess, fetch = session(*graph(kind, length))
            out = sess.run(fetch, {"x:0": x})
            if not np.allclose(out, x + length):
                raise SystemExit(f"bench_overhead: {kind} chain of {length} gave a wrong result")
            sessions[(kind, length)] = (sess, fetch)

    # Warm-up, then rounds of every session once, the order rotating so
    # drifting load and cache effects hit them alike. Wall time and process
    # CPU time (every thread) are both kept: on a loaded machine the wall
    # time includes the time other processes held the cores, the CPU time
    # does not.
    keys = list(sessions)
    for sess, fetch in sessions.values():
        for _ in range(max(10, calls // 20)):
            sess.run(fetch, {"x:0": x})
    wall = {key: [] for key in keys}
    cpu = {key: [] for key in keys}
    load0 = load_average()
    for r in range(calls):
        for key in keys[r % len(keys) :] + keys[: r % len(keys)]:
            sess, fetch = sessions[key]
            c0 = time.process_time()
            t0 = time.perf_counter()
            sess.run(fetch, {"x:0": x})
            wall[key].append(time.perf_counter() - t0)
            cpu[key].append(time.process_time() - c0)
    load1 = load_average()
    for sess, _ in sessions.values():
        sess.close()
    after = counts()
    if after != before:
        raise SystemExit(f"bench_overhead: timed calls fell back: {before} -> {after}")

    def variant(times):
        us = {key: np.asarray(v) * 1e6 for key, v in times.items()}
        slope = {k: (us[(k, chain)] - us[(k, 1)]) / (chain - 1) for k in kinds}
        return {
            "single_run_us": {k: float(np.median(us[(k, 1)])) for k in kinds},
            "chain_run_us": {k: float(np.median(us[(k, chain)])) for k in kinds},
            "per_node_us": {k: summary(slope[k]) for k in kinds},
            "difference_us": {
                "fallback_minus_plain": summary(slope["fallback"] - slope["plain"]),
                "plain_minus_tf": summary(slope["plain"] - slope["tf"]),
                "fallback_minus_tf": summary(slope["fallback"] - slope["tf"]),
            },
        }

    report = {
        "tensor": {"dtype": "float32", "shape": shape},
        "rounds": calls,
        "chain": chain,
        "threads": {"tf_intra_op": threads, "tf_inter_op": 1, "tvm": threads},
        "cpu": cpu_model(),
        "load_average": [load0, load1],
        "wall": variant(wall),
        "cpu_time": variant(cpu),
    }
    if as_json:
        json.dump(report, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return
    print(
        f"bridge-op fixed cost: float32{shape}, {calls} interleaved rounds, chains of {chain} nodes, "
        f"threads TF {threads}/1, TVM {threads}; {report['cpu']}; load {load0:.1f} -> {load1:.1f}"
    )
    names = {"fallback": "bridge, native_func", "plain": "bridge, --no-fallback", "tf": "TF AddV2"}
    diffs = {
        "fallback_minus_plain": "native_func - no-fallback",
        "plain_minus_tf": "no-fallback - AddV2",
        "fallback_minus_tf": "native_func - AddV2",
    }
    for label, v in (("wall", report["wall"]), ("cpu", report["cpu_time"])):
        print(f"  {label}: us per node, median [p10, p90] over rounds   (1 node / {chain} nodes per run)")
        for k in kinds:
            s = v["per_node_us"][k]
            print(
                f"    {names[k]:24} {s['median']:7.3f}  [{s['p10']:6.2f}, {s['p90']:6.2f}]"
                f"   ({v['single_run_us'][k]:.1f} / {v['chain_run_us'][k]:.1f} us)"
            )
        for k, text in diffs.items():
            s = v["difference_us"][k]
            print(
                f"    {text:24} {s['median']:+7.3f}  [{s['p10']:+6.2f}, {s['p90']:+6.2f}]"
                f"   95% CI of the median [{s['ci95'][0]:+.3f}, {s['ci95'][1]:+.3f}]"
            )
    sys.stdout.flush()


def fallback_child(out_dir, model, runtime_dir, side, batch, compiled_batch, calls, threads):
    """One process: its side's first calls, then interleaved per-call times (one JSON line)."""
    import numpy as np
    import tensorflow as tf

    counts = load_ops(runtime_dir)
    original = tf.compat.v1.GraphDef()
    with open(model, "rb") as f:
        original.ParseFromString(f.read())
    rewritten, _ = compiled(out_dir)
    graphs = {"original": original, "rewritten": rewritten}
    config = tf.compat.v1.ConfigProto(intra_op_parallelism_threads=threads, inter_op_parallelism_threads=1)
    rng = np.random.default_rng(batch)
    x = {b: rng.standard_normal((b, 16, 16, 3)).astype(np.float32) for b in (batch, compiled_batch)}

    def session(gd):
        g = tf.Graph()
        with g.as_default():
            tf.compat.v1.import_graph_def(gd, name="")
        return tf.compat.v1.Session(graph=g, config=config)

    # TensorFlow's process-wide start (thread pools, devices) on a trivial graph.
    warm = tf.Graph()
    with warm.as_default():
        p = tf.compat.v1.placeholder(tf.float32, [2])
        y = p + 1.0
    with tf.compat.v1.Session(graph=warm, config=config) as s:
        s.run(y, {p: np.zeros(2, np.float32)})

    def first_call(gd):
        t0 = time.perf_counter()
        s = session(gd)
        s.run("softmax:0", {"x:0": x[batch]})
        return s, time.perf_counter() - t0

    first_sess, first = first_call(graphs[side])
    second_sess, second = first_call(graphs[side])
    second_sess.close()
    fell_back = counts().get("cluster_0", {}).get("no-artifact", 0)
    if fell_back != (2 if side == "rewritten" else 0):
        raise SystemExit(f"bench_overhead: {side}: {fell_back} fallback calls in the first two, not as expected")
    sessions = {(side, batch): first_sess}
    for key in (("original", batch), ("rewritten", batch), ("original", compiled_batch), ("rewritten", compiled_batch)):
        if key not in sessions:
            sessions[key] = session(graphs[key[0]])
    reference = {b: sessions[("original", b)].run("softmax:0", {"x:0": x[b]}) for b in x}
    for (kind, b), s in sessions.items():
        got = s.run("softmax:0", {"x:0": x[b]})
        if not np.allclose(got, reference[b], rtol=1e-4, atol=1e-5):
            raise SystemExit(f"bench_overhead: {kind} at batch {b} differs from the original graph")
    keys = list(sessions)
    for (_, b), s in sessions.items():
        for _ in range(5):
            s.run("softmax:0", {"x:0": x[b]})
    times = {f"{kind}@{b}": [] for kind, b in keys}
    for r in range(calls):
        for kind, b in keys[r % len(keys) :] + keys[: r % len(keys)]:
            s = sessions[(kind, b)]
            t0 = time.perf_counter()
            s.run("softmax:0", {"x:0": x[b]})
            times[f"{kind}@{b}"].append(time.perf_counter() - t0)
    for s in sessions.values():
        s.close()
    c = counts().get("cluster_0", {})
    if set(c) != {"no-artifact"}:
        raise SystemExit(f"bench_overhead: unexpected fallback reasons {c}")
    json.dump({"side": side, "first_s": first, "second_session_first_s": second, "times_s": times}, sys.stdout)
    sys.stdout.write("\n")


def fallback(work, model, runtime_dir, processes, calls, threads, batch, compiled_batch, as_json):
    import numpy as np

    out_dir = os.path.join(work, "dyn")
    children = []
    load0 = load_average()
    for p in range(processes):
        side = ("original", "rewritten")[p % 2]
        args = [sys.executable, os.path.abspath(__file__), "fallback-child", out_dir, "--model", model]
        args += ["--runtime", runtime_dir, "--side", side, "--batch", str(batch), "--compiled", str(compiled_batch)]
        args += ["--calls", str(calls), "--threads", str(threads)]
        r = subprocess.run(args, stdout=subprocess.PIPE, text=True, check=False)
        if r.returncode != 0:
            raise SystemExit(f"bench_overhead: child {p} ({side}) failed with exit {r.returncode}")
        children.append(json.loads(r.stdout.strip().splitlines()[-1]))
    load1 = load_average()

    def ms(values):
        return summary([v * 1e3 for v in values])

    first = {s: ms([c["first_s"] for c in children if c["side"] == s]) for s in ("original", "rewritten")}
    second = {
        s: ms([c["second_session_first_s"] for c in children if c["side"] == s]) for s in ("original", "rewritten")
    }
    pairs = [(children[i], children[i + 1]) for i in range(0, len(children) - 1, 2)]
    first_diff = ms([b["first_s"] - a["first_s"] for a, b in pairs])
    second_diff = ms([b["second_session_first_s"] - a["second_session_first_s"] for a, b in pairs])
    pooled = {}
    for c in children:
        for key, v in c["times_s"].items():
            pooled.setdefault(key, []).extend(v)
    us = {key: np.asarray(v) * 1e6 for key, v in pooled.items()}
    per_call = {key: summary(v) for key, v in us.items()}
    o, f = f"original@{batch}", f"rewritten@{batch}"
    oc, tc = f"original@{compiled_batch}", f"rewritten@{compiled_batch}"
    report = {
        "model": model,
        "compiled_batches": [1, compiled_batch],
        "fallback_batch": batch,
        "processes": processes,
        "rounds_per_process": calls,
        "threads": {"tf_intra_op": threads, "tf_inter_op": 1},
        "cpu": cpu_model(),
        "load_average": [load0, load1],
        "first_call_of_process_ms": first,
        "first_call_of_process_difference_ms": first_diff,
        "first_call_of_second_session_ms": second,
        "first_call_of_second_session_difference_ms": second_diff,
        "per_call_us": per_call,
        "per_call_difference_us": {
            "fallback_minus_original": summary(us[f] - us[o]),
            "tvm_minus_original": summary(us[tc] - us[oc]),
        },
    }
    if as_json:
        json.dump(report, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return
    print(
        f"fallback cost: {os.path.basename(os.path.dirname(os.path.abspath(model)))} compiled for batches 1,"
        f"{compiled_batch}, run at batch {batch}; {processes} processes (alternating sides) x {calls} "
        f"interleaved rounds; TF intra-op {threads}, inter-op 1; {report['cpu']}; load {load0:.1f} -> {load1:.1f}"
    )

    def line(label, s, unit, sign=""):
        fmt = f"{{:{sign}9.2f}}"
        return (
            f"  {label:44} {fmt.format(s['median'])} {unit}  [p10 {fmt.format(s['p10'])}, p90 {fmt.format(s['p90'])}]"
            f"  95% CI [{s['ci95'][0]:{sign}.2f}, {s['ci95'][1]:{sign}.2f}]"
        )

    print(line("first call of a process, original graph", first["original"], "ms"))
    print(line("first call of a process, fallback", first["rewritten"], "ms"))
    print(line("  difference (pairs of processes)", first_diff, "ms", "+"))
    print(line("first call of a 2nd session, original graph", second["original"], "ms"))
    print(line("first call of a 2nd session, fallback", second["rewritten"], "ms"))
    print(line("  difference (pairs of processes)", second_diff, "ms", "+"))
    print(line(f"per call, original graph, batch {batch}", per_call[o], "us"))
    print(line(f"per call, fallback, batch {batch}", per_call[f], "us"))
    print(
        line(
            "  difference (paired within rounds)",
            report["per_call_difference_us"]["fallback_minus_original"],
            "us",
            "+",
        )
    )
    print(line(f"per call, original graph, batch {compiled_batch}", per_call[oc], "us"))
    print(line(f"per call, TVM artifact, batch {compiled_batch}", per_call[tc], "us"))
    print(
        line("  difference (paired within rounds)", report["per_call_difference_us"]["tvm_minus_original"], "us", "+")
    )
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="step", required=True)
    g = sub.add_parser("graph")
    g.add_argument("work")
    g.add_argument("--size", type=int, default=16)
    r = sub.add_parser("run")
    r.add_argument("work")
    r.add_argument("--runtime", required=True, help="folder holding libtf2tvm_op.so")
    r.add_argument("--calls", type=int, default=1000, help="interleaved rounds")
    r.add_argument("--chain", type=int, default=200)
    r.add_argument("--threads", type=int, default=1)
    r.add_argument("--json", action="store_true")
    for name in ("fallback", "fallback-child"):
        f = sub.add_parser(name)
        f.add_argument("work", help="WORK (fallback: holds dyn/) or the compile output (fallback-child)")
        f.add_argument("--model", required=True, help="the original GraphDef WORK/dyn was compiled from")
        f.add_argument("--runtime", required=True, help="folder holding libtf2tvm_op.so")
        f.add_argument("--calls", type=int, default=200, help="interleaved rounds per process")
        f.add_argument("--threads", type=int, default=2)
        f.add_argument("--batch", type=int, default=2, help="a batch with no artifact")
        f.add_argument("--compiled", type=int, default=4, help="a compiled batch")
        if name == "fallback":
            f.add_argument("--processes", type=int, default=10)
            f.add_argument("--json", action="store_true")
        else:
            f.add_argument("--side", choices=["original", "rewritten"], required=True)
    a = ap.parse_args()
    if a.step == "graph":
        write_graph(a.work, a.size)
    elif a.step == "run":
        if a.chain < 2:
            ap.error("--chain must be at least 2")
        run(a.work, a.runtime, a.calls, a.chain, a.threads, a.json)
    elif a.step == "fallback":
        if a.processes < 2:
            ap.error("--processes must be at least 2 (one per side)")
        fallback(
            a.work, os.path.abspath(a.model), a.runtime, a.processes, a.calls, a.threads, a.batch, a.compiled, a.json
        )
    else:
        fallback_child(a.work, a.model, a.runtime, a.side, a.batch, a.compiled, a.calls, a.threads)


if __name__ == "__main__":
    main()
