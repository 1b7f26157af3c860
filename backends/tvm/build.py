#!/usr/bin/env python3
"""tf2tvm build worker: Relay text + weights -> a TVM graph-executor .so.

Long-running. Reads one JSON job per line on stdin:

  {"id": str, "kind": "build" (default) | "tasks" | "tune", "relay": path,
   "params": {name: .npy path}, "target": str, "opt_level": 3,
   "disable": [optimisation names],
   "log": optional path of the job's log (default: <out>.log)}

kind "build" also takes "out": path of the .so, and optionally
   "tuning_log": path of a log of records to apply (chosen from a tuning
   database by backends/tvm/tuning-db.ts) and "tuner": "autotvm" (default)
   or "ansor", whose records the log holds (ansor_db.py).
kind "tasks" lists the module's tunable workloads (tuning_db.py).
kind "tune" takes "db": path of the tuning database, "trials": {workload:
   candidates}, "launcher", "threads", "seed", optionally "rpc": {"tracker":
   "HOST:PORT", "key": str} (candidates are then timed on the servers
   registered under that key, backends/tvm/rpc_server.py), and tunes those
   workloads into the database; with "tuner": "ansor", "trials" is one
   number, the artifact's candidates, and "artifact" its cache key
   (ansor_db.py).

Candidates are timed through the bridge op's launcher (measure.py):
"launcher" defaults to build/runtime/ of this checkout, "threads" to the
bridge op's count (TF2TVM_NUM_THREADS, else TensorFlow's default intra-op
pool size); a missing launcher fails the job.

and answers each with one JSON line on stdout, in order:

  {"id": ..., "ok": true, "seconds": float, "tvm_version": str,
   "tuning": [per-workload summary] (kind "tune"),
   "isa": str, "tasks": [{"workload", "task", "flop", "weight"}] (kind "tasks")}
  {"id": ..., "ok": false, "error": short message, "log": path}

While a job runs, this process's stdout and stderr (Python's and TVM's C++
logging alike) go to the job's log file, followed by the traceback if the job
fails; the log is deleted when the job succeeds unless "keep_log" is true. A
failing job never ends the worker. The worker exits when stdin closes.

Imports tvm only (never tensorflow). Run it with TVM_FFI=ctypes and
TOPHUB_LOCATION=NONE (set here too if missing).
"""

import contextlib
import json
import os
import re
import signal
import sys
import threading
import time
import traceback

# The protocol channel is the original stdout. Everything else that would
# write to fd 1 (print, TVM, LLVM) is pointed at stderr before tvm loads.
_PROTO = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
os.dup2(2, 1)
sys.stdout = sys.stderr
signal.signal(signal.SIGINT, signal.SIG_DFL)

os.environ.setdefault("TVM_FFI", "ctypes")
os.environ.setdefault("TOPHUB_LOCATION", "NONE")

import numpy as np  # noqa: E402
import tvm  # noqa: E402
from tvm import autotvm, relay  # noqa: E402

TVM_VERSION = tvm.__version__

import ansor_db  # noqa: E402
import measure  # noqa: E402
import optimizations  # noqa: E402
import relay_passes  # noqa: E402
import tuning_db  # noqa: E402
import x86_schedules  # noqa: E402
import x86_winograd  # noqa: E402

x86_schedules.install()
x86_winograd.install()


def reply(obj):
    _PROTO.write(json.dumps(obj) + "\n")
    _PROTO.flush()


class JobLog:
    """Points fds 1 and 2 at the job's log file while the job runs."""

    def __init__(self, path):
        self.path = path

    def __enter__(self):
        folder = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(folder, exist_ok=True)
        sys.stderr.flush()
        self.file = open(self.path, "w", encoding="utf-8")
        self.saved = os.dup(2)
        os.dup2(self.file.fileno(), 1)
        os.dup2(self.file.fileno(), 2)
        return self

    def __exit__(self, *exc):
        sys.stderr.flush()
        os.dup2(self.saved, 1)
        os.dup2(self.saved, 2)
        os.close(self.saved)
        self.file.close()
        return False


def short_error(exc, log_path):
    """One line that says what went wrong; the log has everything."""
    if isinstance(exc, tvm.error.DiagnosticError):
        # The diagnostics were rendered to stderr, i.e. into the log.
        try:
            with open(log_path, encoding="utf-8", errors="replace") as f:
                lines = f.read().splitlines()
        except OSError:
            lines = []
        for i, line in enumerate(lines):
            if not line.startswith("error:"):
                continue
            # The message runs from "error:" to the "-->" location line.
            parts, where = [line[len("error:") :].strip()], ""
            for nxt in lines[i + 1 : i + 12]:
                if nxt.strip().startswith("-->"):
                    where = " at " + nxt.strip()[3:].strip()
                    break
                if nxt.startswith(("error:", "note:", "warning:")):
                    break
                parts.append(nxt.strip())
            msg = " ".join(p for p in parts if p)
            return ("Relay: " + msg)[:400] + where
        return "Relay: " + str(exc).strip()
    text = str(exc).strip()
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not set(ln.strip()) <= set("-")]
    msg = lines[-1] if lines else ""
    name = type(exc).__name__
    if not msg.startswith(name):
        msg = f"{name}: {msg}" if msg else name
    return msg[:400]


def load_params(job, func):
    """np arrays for the function's weight parameters, checked against their types."""
    declared = {p.name_hint: p.type_annotation for p in func.params}
    params = {}
    for name, path in sorted(job.get("params", {}).items()):
        if name not in declared:
            raise ValueError(f"weight '{name}' is not a parameter of @main")
        arr = np.load(path, allow_pickle=False)
        ty = declared[name]
        shape = tuple(int(d) for d in ty.shape)
        # NumPy has no bfloat16: its weights come as their uint16 bit patterns (backends/relay/npy.ts).
        stored = "uint16" if ty.dtype == "bfloat16" else ty.dtype
        if arr.shape != shape or str(arr.dtype) != stored:
            raise ValueError(
                f"weight '{name}' from {path} is {arr.dtype}{list(arr.shape)}, @main declares {ty.dtype}{list(shape)}"
            )
        params[name] = tvm.nd.empty(shape, "bfloat16").copyfrom(arr) if ty.dtype == "bfloat16" else arr
    # Data inputs are in0..inN-1 (the bridge op sets them by name); any other
    # parameter is a weight and must have a value, or it would silently
    # become a runtime input of the library.
    unbound = [n for n in declared if n not in params and not re.fullmatch(r"in[0-9]+", n)]
    if unbound:
        raise ValueError("no value given for weight parameter(s) " + ", ".join("%" + n for n in unbound))
    return params


def prepare(job):
    """The job's Relay module after the project's passes, its weights, target and opt level."""
    with open(job["relay"], encoding="utf-8") as f:
        text = f.read()
    mod = relay.parse(text, source_name=job["relay"])
    params = load_params(job, mod["main"])
    opt_level = int(job.get("opt_level", 3))
    disable = job.get("disable", [])
    if not (isinstance(disable, list) and all(isinstance(n, str) for n in disable)):
        raise ValueError("job field 'disable' must be a list of optimisation names")
    optimizations.configure(disable)
    # Lowered functions are cached per process; a job that switches an
    # optimisation on or off must not reuse another job's schedules.
    relay.backend.te_compiler.get().clear()
    target = tvm.target.Target(job["target"])
    with tvm.transform.PassContext(opt_level=opt_level):
        mod = relay_passes.optimize(mod, params)
    return mod, params, target, opt_level


def list_tasks(job):
    """kind "tasks": the module's tunable workloads, with weights."""
    mod, params, target, opt_level = prepare(job)
    with tvm.transform.PassContext(opt_level=opt_level):
        tasks = tuning_db.extract_tasks(mod, params, target)
    relay.backend.te_compiler.get().clear()
    return {
        "isa": tuning_db.target_isa(target),
        "tasks": [
            {"workload": tuning_db.workload_key(t), "task": t.name, "flop": int(t.flop or 0), "weight": w}
            for t, w in tasks
        ],
    }


def tune_tasks(job):
    """kind "tune": brings each workload named in "trials" to its number of
    candidates in the database "db"."""
    trials, db, tuner = job.get("trials"), job.get("db"), job.get("tuner", tuning_db.TUNER)
    if tuner not in TUNERS:
        raise ValueError(f"job field 'tuner' must be one of {', '.join(TUNERS)}")
    if tuner == ansor_db.TUNER:
        if not (
            isinstance(trials, int) and trials >= 0 and isinstance(db, str) and isinstance(job.get("artifact"), str)
        ):
            raise ValueError('an ansor tune job needs "trials": int, "db": path and "artifact": key')
    elif not (
        isinstance(trials, dict) and all(isinstance(n, int) and n >= 0 for n in trials.values()) and isinstance(db, str)
    ):
        raise ValueError('a tune job needs "trials": {workload: int} and "db": path')
    launcher, threads = job.get("launcher"), job.get("threads")
    if not (
        (launcher is None or isinstance(launcher, str))
        and (threads is None or (isinstance(threads, int) and threads > 0))
    ):
        raise ValueError('a tune job\'s "launcher" must be a path and "threads" a positive int')
    rpc = job.get("rpc")
    if rpc is not None and not (
        isinstance(rpc, dict) and isinstance(rpc.get("tracker"), str) and isinstance(rpc.get("key"), str)
    ):
        raise ValueError('a tune job\'s "rpc" must be {"tracker": "HOST:PORT", "key": str}')
    if rpc is not None and tuner == ansor_db.TUNER:
        raise ValueError("a farm (rpc) times AutoTVM candidates only; tune with the ansor tuner on this machine")
    if rpc is not None:
        # Timed on the farm: the launcher is the servers'; an unreachable tracker fails here.
        measurer = measure.RemoteMeasurer(rpc["tracker"], rpc["key"], threads)
    else:
        # Before any work: a missing launcher fails here, never times on one thread.
        measurer = measure.Measurer(launcher, threads)
    mod, params, target, opt_level = prepare(job)
    rng = np.random.default_rng(int(job.get("seed", 0)))
    if tuner == ansor_db.TUNER:
        summary = ansor_db.tune_artifact(
            mod,
            params,
            target,
            opt_level,
            db,
            trials,
            job["artifact"],
            measurer,
            rng,
            log=lambda m: print(m, file=sys.stderr, flush=True),
        )
        relay.backend.te_compiler.get().clear()
        return [summary]
    summaries = []
    keys = set()
    with tvm.transform.PassContext(opt_level=opt_level):
        for task, weight in tuning_db.extract_tasks(mod, params, target):
            key = tuning_db.workload_key(task)
            keys.add(key)
            if key in trials:
                summary = tuning_db.tune_workload(
                    task, target, trials[key], db, measurer, rng, log=lambda m: print(m, file=sys.stderr, flush=True)
                )
                summaries.append({**summary, "weight": weight})
            elif isinstance(job.get("artifact"), str) and rpc is None:
                # Tuned enough already (here or for another artifact): only the verdict on its best, if missing.
                tuning_db.tune_workload(
                    task,
                    target,
                    len(task.config_space),
                    db,
                    measurer,
                    rng,
                    log=lambda m: print(m, file=sys.stderr, flush=True),
                    replay=True,
                )
    relay.backend.te_compiler.get().clear()
    artifact = job.get("artifact")
    if isinstance(artifact, str) and rpc is None:
        # The records this artifact applies, judged on the whole build.
        tuning_db.judge_artifact(
            mod,
            params,
            target,
            opt_level,
            db,
            artifact,
            keys,
            measurer,
            rng,
            log=lambda m: print(m, file=sys.stderr, flush=True),
        )
    return summaries


def build(job):
    mod, params, target, opt_level = prepare(job)
    tuning_log, tuner = job.get("tuning_log"), job.get("tuner", tuning_db.TUNER)
    if tuner not in TUNERS:
        raise ValueError(f"job field 'tuner' must be one of {', '.join(TUNERS)}")
    if tuning_log is not None and not (isinstance(tuning_log, str) and os.path.exists(tuning_log)):
        raise ValueError("job field 'tuning_log' must be the path of a log of tuning records")
    if tuning_log is not None and tuner == ansor_db.TUNER:
        # The auto-scheduler's records, whose verdict beat the untuned artifact (ansor_db.py).
        with open(tuning_log, encoding="utf-8") as f:
            lines = [line.strip() for line in f if line.strip()]
        lib = ansor_db.build_with(mod, params, target, opt_level, lines)
    else:
        history = contextlib.nullcontext()
        if tuning_log is not None:
            # AutoTVM records chosen from a tuning database (backends/tvm/tuning-db.ts).
            relay.backend.te_compiler.get().clear()
            history = autotvm.apply_history_best(tuning_log)
        with history, tvm.transform.PassContext(opt_level=opt_level):
            lib = relay.build(mod, target=target, params=params)

    out = os.path.abspath(job["out"])
    folder = os.path.dirname(out)
    os.makedirs(folder, exist_ok=True)
    # Write beside the final name and rename: a reader never sees half a file.
    tmp = os.path.join(folder, f".{os.path.basename(out)}.{os.getpid()}.tmp.so")
    try:
        lib.export_library(tmp)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return None


KINDS = ("build", "tasks", "tune")
TUNERS = (tuning_db.TUNER, ansor_db.TUNER)


def handle(job):
    job_id = job.get("id")
    log_path = job.get("log") or (str(job.get("out", "tf2tvm-build")) + ".log")
    t0 = time.monotonic()
    try:
        with JobLog(log_path):
            print(f"tf2tvm build job {json.dumps(job, sort_keys=True)}", file=sys.stderr)
            print(f"tvm {TVM_VERSION}, pid {os.getpid()}", file=sys.stderr, flush=True)
            try:
                kind = job.get("kind", "build")
                if kind not in KINDS:
                    raise ValueError(f"job field 'kind' must be one of {', '.join(KINDS)}")
                for key in ("id", "relay", "target") + (("out",) if kind == "build" else ()):
                    if not isinstance(job.get(key), str):
                        raise ValueError(f"job field '{key}' must be a string")
                # Looked up per call, so a wrapper that replaces build() is honoured.
                result = {"build": build, "tasks": list_tasks, "tune": tune_tasks}[kind](job)
                seconds = time.monotonic() - t0
                print(f"{kind} {job.get('out', job['relay'])} done in {seconds:.2f} s", file=sys.stderr)
            except Exception as exc:  # a job's failure is reported, never fatal
                traceback.print_exc(file=sys.stderr)
                sys.stderr.flush()
                error = exc
            else:
                error = None
    except OSError as exc:  # the log itself could not be written
        return {"id": job_id, "ok": False, "error": f"cannot write build log {log_path}: {exc}", "log": log_path}
    if error is not None:
        return {"id": job_id, "ok": False, "error": short_error(error, log_path), "log": log_path}
    if not job.get("keep_log", False):
        try:
            os.remove(log_path)
        except OSError:
            pass
    answer = {"id": job_id, "ok": True, "seconds": round(seconds, 3), "tvm_version": TVM_VERSION}
    if kind == "tasks":
        answer.update(result)
    elif result is not None:
        answer["tuning"] = result
    return answer


# Relay's Python visitors (relay_passes.py's rewriters, ExprMutator) recurse
# once per operator along a chain: a cluster that is a chain of thousands of
# cheap ops needs far more than Python's default 1,000 frames. Jobs run on a
# thread with a large stack (reserved, not committed, until used) and a
# recursion limit to match.
JOB_STACK_BYTES = 1 << 30
JOB_RECURSION_LIMIT = 400_000


def handle_on_big_stack(job):
    """handle(job), on the big stack for builds (tasks and tune jobs stay on the main thread)."""
    if job.get("kind", "build") != "build":
        return handle(job)
    out = {}

    def run():
        out["answer"] = handle(job)

    t = threading.Thread(target=run, name="tf2tvm-job")
    t.start()
    t.join()
    return out["answer"]


def main():
    threading.stack_size(JOB_STACK_BYTES)
    sys.setrecursionlimit(JOB_RECURSION_LIMIT)
    for line in iter(sys.stdin.readline, ""):
        line = line.strip()
        if not line:
            continue
        try:
            job = json.loads(line)
            if not isinstance(job, dict):
                raise ValueError("a job must be a JSON object")
        except ValueError as exc:
            reply({"id": None, "ok": False, "error": f"bad job line: {exc}", "log": ""})
            continue
        reply(handle_on_big_stack(job))


if __name__ == "__main__":
    main()
