"""Micro-benchmark of TF2TVMBridgeOp's fixed per-call cost (not a test).

Two steps, in two processes (TensorFlow and TVM each carry LLVM and must
never share one):

    TVM_FFI=ctypes TOPHUB_LOCATION=NONE python bench_overhead.py build WORK [--target T] [--size N]
        imports tvm only; compiles add(%in0, 1f) on a float32[N] tensor into
        WORK/add.so and writes WORK/add.json (shape, sha256).

    python bench_overhead.py run WORK --runtime DIR [--calls N] [--chain K] [--threads T] [--json]
        imports tensorflow only; loads DIR/libtf2tvm_op.so and times, in one
        session each, a chain of K TF2TVMBridgeOp nodes (x -> add.so -> add.so
        -> ...) against the same chain of TF AddV2 nodes (x + 1), so both
        sides pay the same executor and session.run costs. Per-call time =
        (time of one run of the chain) / K; the median over N runs is
        reported, for the two chains and a single node each, in wall time
        and in process CPU time (steadier on a loaded machine).

scripts/bench-overhead runs both steps.
"""

import argparse
import hashlib
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def host_target():
    flags = set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    break
    except OSError:
        pass
    if "avx512f" in flags:
        cpu = "cascadelake" if "avx512_vnni" in flags else "skylake-avx512"
    elif "avx2" in flags and "fma" in flags:
        cpu = "haswell"
    else:
        cpu = "x86-64"
    return f"llvm -mtriple=x86_64-linux-gnu -mcpu={cpu}"


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        digest.update(f.read())
    return digest.hexdigest()


def build(work, target, size):
    import tvm
    from tvm import relay

    text = f'#[version = "0.0.5"]\ndef @main(%in0: Tensor[({size}), float32]) {{ add(%in0, 1f) }}'
    mod = relay.transform.InferType()(tvm.relay.parse(text))
    with tvm.transform.PassContext(opt_level=3):
        lib = relay.build(mod, target=target)
    os.makedirs(work, exist_ok=True)
    path = os.path.join(work, "add.so")
    lib.export_library(path)
    with open(os.path.join(work, "add.json"), "w") as f:
        json.dump({"file": "add.so", "sha256": sha256(path), "shape": [size], "target": target}, f)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def run(work, runtime_dir, calls, chain, threads, as_json):
    import numpy as np
    import tensorflow as tf

    tf.load_op_library(os.path.join(os.path.abspath(runtime_dir), "libtf2tvm_op.so"))
    with open(os.path.join(work, "add.json")) as f:
        info = json.load(f)
    shape = info["shape"]
    f32 = tf.float32.as_datatype_enum

    def graph(kind, length):
        gd = tf.compat.v1.GraphDef()
        ph = gd.node.add(name="x", op="Placeholder")
        ph.attr["dtype"].type = f32
        ph.attr["shape"].shape.CopyFrom(tf.TensorShape(shape).as_proto())
        if kind == "tf":
            one = gd.node.add(name="one", op="Const")
            one.attr["dtype"].type = f32
            one.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(np.float32(1)))
        prev = "x"
        for k in range(length):
            name = f"n{k}"
            if kind == "tf":
                node = gd.node.add(name=name, op="AddV2", input=[prev, "one"])
                node.attr["T"].type = f32
            else:
                node = gd.node.add(name=name, op="TF2TVMBridgeOp", input=[prev])
                a = node.attr
                a["Tin"].list.type.append(f32)
                a["Tout"].list.type.append(f32)
                a["cluster"].s = b"overhead"
                a["artifacts"].list.s.append(info["file"].encode())
                a["artifact_sha256"].list.s.append(info["sha256"].encode())
                a["input_shapes"].list.shape.append(tf.TensorShape(shape).as_proto())
                a["output_shapes"].list.shape.append(tf.TensorShape(shape).as_proto())
                a["artifact_dir"].s = os.path.abspath(work).encode()
            prev = name
        return gd, prev

    config = tf.compat.v1.ConfigProto(intra_op_parallelism_threads=threads, inter_op_parallelism_threads=1)
    # Grappler would fold the whole AddV2 chain of a constant-free graph
    # into one op or constant-fold parts of it: keep the graphs as written.
    config.graph_options.rewrite_options.disable_meta_optimizer = True
    config.graph_options.optimizer_options.opt_level = tf.compat.v1.OptimizerOptions.L0
    config.graph_options.optimizer_options.do_constant_folding = False
    config.graph_options.optimizer_options.do_common_subexpression_elimination = False
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)

    sessions = {}
    for kind in ("tvm", "tf"):
        for length in (1, chain):
            gd, last = graph(kind, length)
            g = tf.Graph()
            with g.as_default():
                tf.compat.v1.import_graph_def(gd, name="")
            sess = tf.compat.v1.Session(graph=g, config=config)
            fetch = g.get_tensor_by_name(last + ":0")
            out = sess.run(fetch, {"x:0": x})
            if not np.allclose(out, x + length):
                raise SystemExit(f"bench_overhead: {kind} chain of {length} gave a wrong result")
            sessions[(kind, length)] = (sess, fetch)

    # Warm-up, then interleave the four variants so drifting machine load
    # hits them alike. Wall time and process CPU time (every thread) are
    # both kept: on a loaded machine the wall time includes the time other
    # processes held the cores, the CPU time does not.
    for sess, fetch in sessions.values():
        for _ in range(max(10, calls // 20)):
            sess.run(fetch, {"x:0": x})
    wall = {key: [] for key in sessions}
    cpu = {key: [] for key in sessions}
    for _ in range(calls):
        for key, (sess, fetch) in sessions.items():
            c0 = time.process_time()
            t0 = time.perf_counter()
            sess.run(fetch, {"x:0": x})
            wall[key].append(time.perf_counter() - t0)
            cpu[key].append(time.process_time() - c0)
    for sess, _ in sessions.values():
        sess.close()

    def us(times, key):
        return float(np.median(times[key])) * 1e6

    def slope(times, kind):
        return (us(times, (kind, chain)) - us(times, (kind, 1))) / (chain - 1)

    def variant(times):
        bridge, tf_add = slope(times, "tvm"), slope(times, "tf")
        return {
            "single_run_us": {"bridge": us(times, ("tvm", 1)), "tf_addv2": us(times, ("tf", 1))},
            "chain_run_us": {"bridge": us(times, ("tvm", chain)), "tf_addv2": us(times, ("tf", chain))},
            "per_node_us": {"bridge": bridge, "tf_addv2": tf_add, "difference": bridge - tf_add},
        }

    report = {
        "tensor": {"dtype": "float32", "shape": shape},
        "calls": calls,
        "chain": chain,
        "threads": {"tf_intra_op": threads, "tf_inter_op": 1, "tvm": threads},
        "cpu": cpu_model(),
        "wall": variant(wall),
        "cpu_time": variant(cpu),
    }
    if as_json:
        json.dump(report, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return
    print(
        f"bridge-op overhead: float32{shape}, {calls} runs, chains of {chain} nodes, "
        f"threads TF {threads}/1, TVM {threads}; {report['cpu']}"
    )
    print("medians, microseconds            bridge    TF AddV2")
    for label, v in (("wall", report["wall"]), ("cpu", report["cpu_time"])):
        s, c, p = v["single_run_us"], v["chain_run_us"], v["per_node_us"]
        print(f"  {label:4} session.run, 1 node   {s['bridge']:9.1f}   {s['tf_addv2']:9.1f}")
        print(f"  {label:4} session.run, {chain} nodes {c['bridge']:9.1f}   {c['tf_addv2']:9.1f}")
        print(
            f"  {label:4} per node (slope)      {p['bridge']:9.2f}   {p['tf_addv2']:9.2f}"
            f"   bridge - AddV2: {p['difference']:+.2f} us/call"
        )
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="step", required=True)
    b = sub.add_parser("build")
    b.add_argument("work")
    b.add_argument("--target", default=None)
    b.add_argument("--size", type=int, default=16)
    r = sub.add_parser("run")
    r.add_argument("work")
    r.add_argument("--runtime", required=True, help="folder holding libtf2tvm_op.so")
    r.add_argument("--calls", type=int, default=1000)
    r.add_argument("--chain", type=int, default=200)
    r.add_argument("--threads", type=int, default=1)
    r.add_argument("--json", action="store_true")
    a = ap.parse_args()
    if a.step == "build":
        build(a.work, a.target or host_target(), a.size)
    else:
        if a.chain < 2:
            ap.error("--chain must be at least 2")
        run(a.work, a.runtime, a.calls, a.chain, a.threads, a.json)


if __name__ == "__main__":
    main()
