"""Where the time goes inside each compiled cluster: TVM's debug executor
runs every artifact of a tf2tvm output folder on random inputs and times
each fused operator. Imports tvm only (never tensorflow).

    profile.py --out OUT [--runs N] [--top K]

prints one JSON document:

    {"ok": true, "out", "runs", "threads": 1,
     "artifacts": [{"cluster", "shapes", "path", "total_ms",
                    "ops": [{"name", "calls", "ms", "share", "shapes"}],   # top K
                    "groups": [{"kind", "calls", "ms", "share"}]}         # by fused kind
                   or {"cluster", "shapes", "path", "error"}]}

ms is the median over runs of an operator's time, summed over its calls;
share = ms / total_ms. This TVM's runtime runs parallel loops on one thread
(docs/bridge-op.md, Threads), so the times are one core's: the shares say
where the time goes; `tf2tvm bench` says how long a call takes.
"""

import argparse
import json
import os
import re
import sys
import tempfile

# The JSON document goes to the original stdout; everything else that writes
# to fd 1 (the debug executor prints its own tables) goes to stderr.
_OUT = os.fdopen(os.dup(1), "w", encoding="utf-8")
os.dup2(2, 1)
sys.stdout = sys.stderr

os.environ.setdefault("TVM_FFI", "ctypes")

import numpy as np  # noqa: E402
import tvm  # noqa: E402
from tvm.contrib.debugger import debug_executor  # noqa: E402


def graph_inputs(graph):
    """(name, shape, dtype) of the graph's data inputs (in0, in1, ...)."""
    attrs = graph["attrs"]
    shapes, dtypes = attrs["shape"][1], attrs["dltype"][1]
    out = []
    for nid in graph["arg_nodes"]:
        name = graph["nodes"][nid]["name"]
        if re.fullmatch(r"in[0-9]+", name):
            out.append((name, shapes[nid], dtypes[nid]))
    return out


def kind(name):
    """The fused function's kind: its name without the prefix and number."""
    k = re.sub(r"^tvmgen_default_fused_", "", name)
    return re.sub(r"_[0-9]+$", "", k)


def profile_artifact(path, runs, top, rng):
    lib = tvm.runtime.load_module(path)
    graph_json = lib["get_graph_json"]()
    graph = json.loads(graph_json)
    dev = tvm.cpu()
    with tempfile.TemporaryDirectory(prefix="tf2tvm-profile-") as dump:
        m = debug_executor.create(graph_json, lib, dev, dump_root=dump)
        for name, shape, dtype in graph_inputs(graph):
            if dtype.startswith("float"):
                value = rng.standard_normal(shape).astype(dtype)
            elif dtype == "bool":
                value = rng.integers(0, 2, size=shape).astype(dtype)
            else:
                value = rng.integers(0, 4, size=shape).astype(dtype)
            m.set_input(name, value)
        m.run()  # warm-up
        per_call = {}
        for _ in range(runs):
            report = m.profile()
            for i, call in enumerate(report.calls):
                name = str(call["Name"])
                us = call["Duration (us)"].microseconds
                shapes = str(call.get("Argument Shapes", ""))
                per_call.setdefault(i, (name, shapes, []))[2].append(us)
    by_name = {}
    for name, shapes, times in per_call.values():
        entry = by_name.setdefault(name, {"name": name, "calls": 0, "ms": 0.0, "shapes": shapes})
        entry["calls"] += 1
        entry["ms"] += float(np.median(times)) / 1e3
    total = sum(e["ms"] for e in by_name.values())
    ops = sorted(by_name.values(), key=lambda e: (-e["ms"], e["name"]))
    groups = {}
    for e in ops:
        g = groups.setdefault(kind(e["name"]), {"kind": kind(e["name"]), "calls": 0, "ms": 0.0})
        g["calls"] += e["calls"]
        g["ms"] += e["ms"]
    for e in list(ops) + list(groups.values()):
        e["share"] = e["ms"] / total if total > 0 else 0.0
    return {
        "total_ms": total,
        "ops": ops[:top],
        "groups": sorted(groups.values(), key=lambda g: (-g["ms"], g["kind"]))[:top],
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    with open(os.path.join(a.out, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    rng = np.random.default_rng(a.seed)
    artifacts = []
    for c in manifest["clusters"]:
        for art in c["artifacts"]:
            entry = {"cluster": c["name"], "shapes": art["shapes"], "path": art["path"]}
            try:
                entry.update(profile_artifact(os.path.join(a.out, art["path"]), a.runs, a.top, rng))
            except Exception as e:  # one artifact's failure is reported, the rest still run
                entry["error"] = f"{type(e).__name__}: {e}".strip()[:2000]
            artifacts.append(entry)
    ok = all("error" not in x for x in artifacts)
    json.dump({"ok": ok, "out": a.out, "runs": a.runs, "threads": 1, "artifacts": artifacts}, _OUT)
    _OUT.write("\n")
    _OUT.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
