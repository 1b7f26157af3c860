#!/usr/bin/env python3
"""Does `--tune` time code the way the bridge op runs it? (prints figures; not a test)

For each artifact (a cluster .so of a tf2tvm output folder), at each thread
count T, two timings, interleaved:

  tuner   the way tuning measures (measure.py): graph executor in a
          tvm-only process, the library's parallel loops redirected to the
          launcher library on T tasks, time_evaluator of `run`;
  bridge  the artifact's TF2TVMBridgeOp alone in a TensorFlow session
          (backends/tf/cluster_timing.py's bridge graph), intra-op T,
          inter-op 1, TF2TVM_NUM_THREADS=T.

One round times tuner@1, bridge@1, tuner@2, bridge@2 (the order rotating
from round to round), each one sample of k calls (k calibrated so a sample
takes ~40 ms); the figures are medians over rounds of each timing, of the
within-round tuner/bridge ratio and of the within-round T2/T1 ratios.

    bench_tuner_agreement.py drive [--rounds N] [--threads 1,2] OUT...
    bench_tuner_agreement.py serve-tvm LAUNCHER          (internal)
    bench_tuner_agreement.py serve-tf RUNTIME_DIR T      (internal)

OUT is a tf2tvm output folder (manifest.json, model.pb, clusters/). The
servers answer JSON lines {"op": "time", "out", "path", "number"} with
{"seconds": per call}. scripts/bench-tuner-agreement runs this with the
toolchain's Python and compiles the models it names first.
"""

import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SAMPLE_SECONDS = 0.04


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def serve(handle):
    for line in iter(sys.stdin.readline, ""):
        if not line.strip():
            continue
        req = json.loads(line)
        try:
            reply({"ok": True, **handle(req)})
        except Exception as exc:  # reported to the driver, which stops
            reply({"ok": False, "error": f"{type(exc).__name__}: {exc}"})


def serve_tvm(launcher_path):
    """tvm only: graph executors with their loops on the launcher, as measure.py times candidates."""
    os.environ.setdefault("TVM_FFI", "ctypes")
    sys.path.insert(0, os.path.join(ROOT, "backends", "tvm"))
    import numpy as np
    import tvm
    from tvm.contrib import graph_executor

    import measure

    launcher = measure.Launcher(launcher_path)
    loaded = {}

    def executor(out, rel):
        path = os.path.join(out, rel)
        if path not in loaded:
            lib = tvm.runtime.load_module(path)
            status = launcher.redirect(path)
            gm = graph_executor.GraphModule(lib["default"](tvm.cpu()))
            shapes, dtypes = gm.get_input_info()
            rng = np.random.default_rng(0)
            for name in shapes.keys():
                shape = [int(d) for d in shapes[name]]
                dtype = dtypes[name]
                if dtype.startswith("float"):
                    gm.set_input(name, rng.standard_normal(shape).astype(dtype))
                else:
                    gm.set_input(name, np.zeros(shape, dtype=dtype))
            loaded[path] = (lib, gm, status)
        return loaded[path]

    def handle(req):
        _, gm, status = executor(req["out"], req["path"])
        launcher.set_threads(req["threads"])
        try:
            timer = gm.module.time_evaluator("run", tvm.cpu(), number=req["number"], repeat=1)
            seconds = timer().mean
        finally:
            launcher.set_threads(1)
        return {"seconds": seconds, "launcher": status}

    serve(handle)


def serve_tf(runtime_dir, threads):
    """TensorFlow only: each artifact's bridge node alone, intra-op T, inter-op 1."""
    os.environ["TF2TVM_NUM_THREADS"] = str(threads)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.path.insert(0, os.path.join(ROOT, "backends", "tf"))
    import numpy as np
    import tensorflow as tf

    import cluster_timing as ct
    from tfgraph import load_graph_def, random_input

    # One op library for every OUT (two copies of it would register the
    # kernel twice); artifact_dir is set on each node as OUT's loader does.
    tf.load_op_library(os.path.join(runtime_dir, "libtf2tvm_op.so"))
    callables = {}

    def bridge_of(out, rel):
        graph = load_graph_def(os.path.join(out, "model.pb"))
        nodes = list(graph.node)
        for function in graph.library.function:
            nodes.extend(function.node_def)
        for node in nodes:
            if node.op == ct.BRIDGE_OP and rel in [p.decode() for p in node.attr["artifacts"].list.s]:
                node.attr["artifact_dir"].s = out.encode()
                return node
        raise ValueError(f"no bridge node in {out}/model.pb runs {rel}")

    def callable_of(out, rel):
        key = (out, rel)
        if key not in callables:
            bridge = bridge_of(out, rel)
            tin, in_shapes, tout = ct.bridge_signature(bridge, rel)
            gd, feeds, fetches = ct.bridge_graph(bridge, tin, in_shapes, tout)
            fn = ct.Callable(gd, feeds, fetches, threads)
            rng = np.random.default_rng(0)
            args = [random_input(rng, dtype, shape) for dtype, shape in zip(tin, in_shapes, strict=True)]
            fn.call(*args)
            feed_tensors = [fn.graph.get_tensor_by_name(t) for t in feeds]
            fetch_tensors = [fn.graph.get_tensor_by_name(t) for t in fetches]
            callables[key] = (fn, feed_tensors, fetch_tensors, args)
        return callables[key]

    def kernel_seconds(metadata):
        """The bridge node's own time in one traced step (its Compute), in s."""
        for dev in metadata.step_stats.dev_stats:
            for ns in dev.node_stats:
                if ns.node_name == "tf2tvm_timing/bridge":
                    if ns.op_end_rel_nanos > 0:
                        return (ns.op_end_rel_nanos - ns.op_start_rel_nanos) * 1e-9
                    return (ns.op_end_rel_micros - ns.op_start_rel_micros) * 1e-6
        raise RuntimeError("no step stats for the bridge node")

    options = tf.compat.v1.RunOptions(trace_level=tf.compat.v1.RunOptions.FULL_TRACE)

    def handle(req):
        fn, feed_tensors, fetch_tensors, args = callable_of(req["out"], req["path"])
        feed = dict(zip(feed_tensors, args, strict=True))
        kernel = []
        t0 = time.perf_counter()
        for _ in range(req["number"]):
            metadata = tf.compat.v1.RunMetadata()
            fn.session.run(fetch_tensors, feed, options=options, run_metadata=metadata)
            kernel.append(kernel_seconds(metadata))
        return {"seconds": sum(kernel) / len(kernel), "call_seconds": (time.perf_counter() - t0) / req["number"]}

    serve(handle)


class Server:
    def __init__(self, argv, env):
        self.proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), *argv],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, **env},
            text=True,
        )

    def ask(self, **req):
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"server {self.proc.args[2:]} died")
        answer = json.loads(line)
        if not answer["ok"]:
            raise RuntimeError(answer["error"])
        return answer

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def median(xs):
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def cpu_model():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return "unknown CPU"


def load_average():
    with open("/proc/loadavg", encoding="ascii") as f:
        return f.read().split()[0]


def artifacts_of(out):
    with open(os.path.join(out, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    label = os.path.basename(os.path.normpath(out))
    for cluster in manifest["clusters"]:
        for art in cluster["artifacts"]:
            yield f"{label}/{cluster['name']}/{art['shapes']}", art["path"]


def drive(argv):
    import argparse

    p = argparse.ArgumentParser(prog="bench_tuner_agreement.py drive")
    p.add_argument("--rounds", type=int, default=20)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--threads", default="1,2")
    p.add_argument("--runtime", default=os.path.join(ROOT, "build", "runtime"))
    p.add_argument("--json", action="store_true")
    p.add_argument("outs", nargs="+")
    a = p.parse_args(argv)
    counts = [int(t) for t in a.threads.split(",")]
    launcher = os.path.join(a.runtime, "libtf2tvm_launcher.so")
    tvm_side = Server(["serve-tvm", launcher], {"TVM_FFI": "ctypes", "TOPHUB_LOCATION": "NONE"})
    tf_side = {t: Server(["serve-tf", a.runtime, str(t)], {}) for t in counts}
    rows = []
    load = [load_average()]
    try:
        for out in a.outs:
            out = os.path.abspath(out)
            for label, rel in artifacts_of(out):
                first = tvm_side.ask(out=out, path=rel, threads=counts[0], number=1)
                first_tf = tf_side[counts[0]].ask(out=out, path=rel, threads=counts[0], number=1)
                slowest = max(first["seconds"], first_tf["seconds"], 1e-6)
                number = max(1, round(SAMPLE_SECONDS / slowest))
                timings = [(kind, t) for t in counts for kind in ("tuner", "bridge")]
                calls = {t: [] for t in counts}

                def sample(kind, t, rel=rel, out=out, number=number, calls=calls):
                    side = tvm_side if kind == "tuner" else tf_side[t]
                    answer = side.ask(out=out, path=rel, threads=t, number=number)
                    if kind == "bridge":
                        calls[t].append(answer["call_seconds"])
                    return answer["seconds"]

                for _ in range(a.warmup):
                    for kind, t in timings:
                        sample(kind, t)
                got = {k: [] for k in timings}
                for r in range(a.rounds):
                    for k in timings[r % len(timings) :] + timings[: r % len(timings)]:
                        got[k].append(sample(*k))
                row = {"artifact": label, "calls_per_sample": number, "launcher": first["launcher"], "threads": {}}
                net = {t: got[("bridge", t)] for t in counts}
                for t in counts:
                    tu = got[("tuner", t)]
                    row["threads"][t] = {
                        "tuner_ms": median(tu) * 1e3,
                        "bridge_ms": median(net[t]) * 1e3,
                        "session_call_ms": median(calls[t]) * 1e3,
                        "ratio": median([x / y for x, y in zip(tu, net[t], strict=True)]),
                    }
                if len(counts) == 2:
                    lo, hi = counts
                    row["tuner_scaling"] = median(
                        [x / y for x, y in zip(got[("tuner", hi)], got[("tuner", lo)], strict=True)]
                    )
                    row["bridge_scaling"] = median([x / y for x, y in zip(net[hi], net[lo], strict=True)])
                rows.append(row)
                print(f"{label}: done", file=sys.stderr, flush=True)
    finally:
        tvm_side.close()
        for s in tf_side.values():
            s.close()
    load.append(load_average())
    header = (
        f"CPU: {cpu_model()}, {len(os.sched_getaffinity(0))} usable cores; load average {load[0]} before, "
        f"{load[1]} after. tuner = graph executor + launcher library on T tasks (time_evaluator of run), "
        f"bridge = TF2TVMBridgeOp alone in a TF session (intra-op T, inter-op 1, TF2TVM_NUM_THREADS=T), "
        f"the op's own time from the step stats (the whole session call in parentheses); {a.rounds} "
        f"interleaved rounds after {a.warmup} warm-up; medians, ratios within rounds"
    )
    if a.json:
        print(json.dumps({"header": header, "rows": rows}, indent=1))
        return
    print(header)
    print()
    cols = "".join(f" | T={t}: tuner ms | bridge ms (session call) | tuner/bridge" for t in counts)
    scale = f" | tuner T{counts[1]}/T{counts[0]} | bridge T{counts[1]}/T{counts[0]}" if len(counts) == 2 else ""
    print(f"| artifact{cols}{scale} |")
    print("|---" * (1 + 3 * len(counts) + (2 if scale else 0)) + "|")
    for row in rows:
        cells = [row["artifact"]]
        for t in counts:
            c = row["threads"][t]
            cells += [
                f"{c['tuner_ms']:.3g}",
                f"{c['bridge_ms']:.3g} ({c['session_call_ms']:.3g})",
                f"{c['ratio']:.2f}",
            ]
        if scale:
            cells += [f"{row['tuner_scaling']:.2f}", f"{row['bridge_scaling']:.2f}"]
        print("| " + " | ".join(cells) + " |")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    mode, rest = sys.argv[1], sys.argv[2:]
    if mode == "serve-tvm":
        serve_tvm(rest[0])
    elif mode == "serve-tf":
        serve_tf(rest[0], int(rest[1]))
    elif mode == "drive":
        drive(rest)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
