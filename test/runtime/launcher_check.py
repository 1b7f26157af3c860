"""Checks of the tuner's launcher library (libtf2tvm_launcher.so) and of the
measurement path that uses it (backends/tvm/measure.py). Imports tvm only.

    TVM_FFI=ctypes TOPHUB_LOCATION=NONE python launcher_check.py LAUNCHER TARGET

A TVM-built function runs a parallel loop of two iterations, each calling
back into Python to record the thread it runs on and then sleeping 50 ms
(so a helper thread has time to take the second task). Prints one JSON
line: {"checks": [{"name", "ok", "detail"}]}; exits 1 if any check failed.
"""

import json
import os
import sys
import tempfile
import threading
import time

import tvm
from tvm import te, tir

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "backends", "tvm"))
import measure

LAUNCHER, TARGET = sys.argv[1], sys.argv[2]
ITERATIONS = 2
seen = []
checks = []


def check(name, ok, detail=""):
    checks.append({"name": name, "ok": bool(ok), "detail": str(detail)})


@tvm.register_func("tf2tvm_test.record")
def record(i):
    seen.append((int(i), threading.get_native_id()))
    time.sleep(0.05)
    return 0


def parallel_build():
    ib = tir.ir_builder.create()
    with ib.for_range(0, ITERATIONS, kind="parallel", name="i") as i:
        ib.emit(tvm.tir.call_packed("tf2tvm_test.record", i))
    func = tir.PrimFunc([], ib.get()).with_attr("global_symbol", "par")
    return tvm.build(tvm.IRModule({"par": func}), target=TARGET)


def serial_build():
    a = te.placeholder((64,), name="a")
    b = te.compute((64,), lambda i: a[i] * 2, name="b")
    return tvm.build(te.create_schedule(b.op), [a, b], target=TARGET, name="serial")


def run_once(func, threads):
    launcher.set_threads(threads)
    seen.clear()
    t0 = time.monotonic()
    try:
        func()
    finally:
        launcher.set_threads(1)
    return sorted(seen), time.monotonic() - t0


folder = tempfile.mkdtemp(prefix="tf2tvm-launcher-check-")
me = threading.get_native_id()
launcher = measure.Launcher(LAUNCHER)

par_path = os.path.join(folder, "par.so")
parallel_build().export_library(par_path)
par = tvm.runtime.load_module(par_path)
status = launcher.redirect(par_path)
check("redirect finds the parallel loop", status == "redirected", status)

runs, seconds = run_once(par["par"], 2)
tids = {tid for _, tid in runs}
check("threads=2: each iteration runs once", [i for i, _ in runs] == list(range(ITERATIONS)), runs)
check("threads=2: the two tasks run on two threads, one the caller", len(tids) == 2 and me in tids, runs)
check("threads=2: the two 50 ms tasks overlap", seconds < 0.09, f"{seconds:.3f} s")

# Many loops in a row, as a model's run launches them: the crew serves each,
# leaves when idle (the 2 ms pauses are longer than it waits), and the next
# loop brings helpers back. Every iteration of every loop runs exactly once.
fast = []


@tvm.register_func("tf2tvm_test.record_fast")
def record_fast(i):
    fast.append((int(i), threading.get_native_id()))
    # Long enough for a helper to claim the other task even on a loaded machine
    # (the caller takes every task no helper has started).
    time.sleep(0.004)
    return 0


ib = tir.ir_builder.create()
with ib.for_range(0, ITERATIONS, kind="parallel", name="i") as i:
    ib.emit(tvm.tir.call_packed("tf2tvm_test.record_fast", i))
fast_path = os.path.join(folder, "fast.so")
tvm.build(
    tvm.IRModule({"fast": tir.PrimFunc([], ib.get()).with_attr("global_symbol", "fast")}), target=TARGET
).export_library(fast_path)
fast_mod = tvm.runtime.load_module(fast_path)
launcher.redirect(fast_path)
LOOPS = 150
launcher.set_threads(2)
try:
    for n in range(LOOPS):
        before = len(fast)
        fast_mod["fast"]()
        if sorted(i for i, _ in fast[before:]) != list(range(ITERATIONS)):
            break
        if n % 10 == 9:
            time.sleep(0.002)
finally:
    launcher.set_threads(1)
counts = [sum(1 for i, _ in fast if i == k) for k in range(ITERATIONS)]
check(f"{LOOPS} loops in a row at threads=2: each iteration once per loop", counts == [LOOPS] * ITERATIONS, counts)
check(
    f"{LOOPS} loops in a row at threads=2: helpers take part",
    len({tid for _, tid in fast}) >= 2,
    {tid for _, tid in fast},
)

runs, seconds = run_once(par["par"], 1)
check("threads=1: inline, on the caller", [tid for _, tid in runs] == [me] * ITERATIONS, runs)
check("threads=1: one after the other", seconds >= 0.1, f"{seconds:.3f} s")
check("set_threads(1) leaves the setting at 1", launcher.threads() == 1, launcher.threads())

# Another thread's setting is its own: this thread's loops stay inline.
other = threading.Thread(target=lambda: launcher.set_threads(2))
other.start()
other.join()
seen.clear()
par["par"]()
check("a thread's setting does not leak to another", [tid for _, tid in seen] == [me] * ITERATIONS, seen)

try:
    launcher.set_threads(0)
    check("set_threads(0) is refused", False)
except ValueError:
    check("set_threads(0) is refused", True)

serial_path = os.path.join(folder, "serial.so")
serial_build().export_library(serial_path)
serial = tvm.runtime.load_module(serial_path)
check("a library without parallel loops", launcher.redirect(serial_path) == "no-parallel-loop")
try:
    launcher.redirect(os.path.join(folder, "never-loaded.so"))
    check("redirecting a library not loaded raises", False)
except RuntimeError as exc:
    check("redirecting a library not loaded raises", "not loaded" in str(exc), exc)

# The tuner's own path: export, load, redirect, time on 2 threads.
measurer = measure.Measurer(launcher, threads=2)
seen.clear()
seconds = measurer.time_module(parallel_build(), [], entry="par")
calls = [tid for _, tid in seen]
check(
    "Measurer.time_module runs each timed call's loop on 2 threads",
    len(set(calls)) == 2 and 0.04 < seconds < 0.09,
    f"{seconds:.3f} s per call, threads {sorted(set(calls))}",
)
check("Measurer.time_module resets the thread's setting", launcher.threads() == 1, launcher.threads())

missing = os.path.join(folder, "no-such-dir", measure.LAUNCHER_LIBRARY)
try:
    measure.Measurer(missing, threads=2)
    check("a missing launcher library fails clearly", False)
except measure.LauncherMissing as exc:
    text = str(exc)
    check(
        "a missing launcher library fails clearly",
        missing in text and "runtime/build.sh" in text and "one thread" in text,
        text,
    )

env = {"TF2TVM_NUM_THREADS": "3", "TF_NUM_INTRAOP_THREADS": "5"}
check("threads: the job's value first", measure.tuning_threads(7, env) == 7)
check("threads: then TF2TVM_NUM_THREADS", measure.tuning_threads(None, env) == 3)
check("threads: then TF_NUM_INTRAOP_THREADS", measure.tuning_threads(None, {"TF_NUM_INTRAOP_THREADS": "5"}) == 5)
check("threads: then the CPUs we may run on", measure.tuning_threads(None, {}) == len(os.sched_getaffinity(0)))
for bad in ("0", "two", "-1"):
    try:
        measure.tuning_threads(None, {"TF2TVM_NUM_THREADS": bad})
        check(f"threads: TF2TVM_NUM_THREADS={bad} is refused", False)
    except ValueError:
        check(f"threads: TF2TVM_NUM_THREADS={bad} is refused", True)

print(json.dumps({"checks": checks}))
sys.exit(0 if all(c["ok"] for c in checks) else 1)
