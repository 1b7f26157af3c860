"""`tf2tvm tune --tuner ansor`: TVM's auto-scheduler into the tuning database.

The AutoTVM tuner (tuning_db.py) tunes one workload at a time inside TVM's
own templates and applies records per workload. The auto-scheduler (Ansor)
writes whole schedules from a search of its own, and a build that uses its
records uses it for every operator: one without a record then gets a naive
schedule (docs/tuners.md, section 3). So its never-slower rule is taken per
artifact, not per workload: after the search, the artifact is built once
with the best record of each of its workloads and once untuned, both are
timed in alternation on the bridge op's launcher, and the verdict line names
the records it timed. A build applies exactly those records, and only where
the verdict beat the untuned artifact by the margin (backends/tvm/tuning-db.ts).

Lines it adds to the database (format of tuning_db.py, "tuner": "ansor"):

  {"kind": "record", "workload": Ansor's workload key, "costs": [seconds] or
   null, "record": the auto-scheduler's record line, "artifact": key,
   "config": -1, "threads", "flop", "isa"}
  {"kind": "artifact", "workload": the artifact's module key (emit.ts: its
   cache key without tuning and without tf2tvm's build scripts),
   "costs": [seconds per call of the tuned build], "untuned_costs": [...],
   "records": [record lines applied], "config": -1, ...}

Ansor's task keys are a hash of the compute and its shapes, so a record
serves every artifact with that workload; the tuning sees records already
in the database (of the same ISA) through TaskScheduler's log, so a second
tune continues from them. Every candidate is recorded as measured, so a
killed tune loses at most the batch being measured. Candidates are built by
Ansor's builder into shared libraries and timed in this process with the
bridge op's launcher (measure.py), replacing the auto-scheduler's local
runner. Tasks are created without layout rewrite, and builds disable
AutoSchedulerLayoutRewrite: this fork's rewrite fails on dense (docs/tuners.md).
"""

import json
import os
import shutil
import tempfile
import time

import numpy as np
import tvm
from tvm import auto_scheduler, relay
from tvm.auto_scheduler.measure import MAX_FLOAT, MeasureResult
from tvm.contrib import cc

import measure
import tuning_db

TUNER = "ansor"
# Candidates per round of the search: small, so a small budget still reaches every task.
_PER_ROUND = 16
# The evolutionary search's population: the default (2048) spends minutes before a first measurement here.
_POPULATION = 512
_VERDICT_ROUNDS = 5
BUILD_CONFIG = {"relay.backend.use_auto_scheduler": True}
DISABLED_PASSES = {"AutoSchedulerLayoutRewrite"}


def hardware(target, threads):
    """What the search plans for: as many cores as the bridge op uses, AVX-512 registers where the ISA has them."""
    return auto_scheduler.HardwareParams(num_cores=int(threads), target=target)


def extract(mod, params, target, threads, opt_level):
    """The module's auto-scheduler tasks (no layout rewrite) and their weights."""
    hw = hardware(target, threads)
    tasks, weights = auto_scheduler.extract_tasks(mod["main"], params, target, hardware_params=hw, opt_level=opt_level)
    plain = [
        auto_scheduler.SearchTask(
            compute_dag=t.compute_dag,
            workload_key=t.workload_key,
            target=t.target,
            hardware_params=hw,
            layout_rewrite_option=auto_scheduler.LayoutRewriteOption.NO_REWRITE,
            desc=t.desc,
        )
        for t in tasks
    ]
    order = sorted(
        range(len(plain)), key=lambda i: (-(plain[i].compute_dag.flop_ct * int(weights[i])), plain[i].workload_key)
    )
    return [plain[i] for i in order], [int(weights[i]) for i in order]


def _entries(db, isa):
    return [e for e in tuning_db.read(db) if e.get("tuner") == TUNER and e.get("isa") == isa]


def _best_lines(entries, keys):
    """The fastest recorded candidate of each workload in `keys` (the record line), by workload key."""
    best = {}
    for e in entries:
        if e.get("kind") != "record" or e.get("workload") not in keys or not e.get("costs"):
            continue
        ms = float(np.median(e["costs"]))
        k = e["workload"]
        if k not in best or ms < best[k][0] or (ms == best[k][0] and e["record"] < best[k][1]):
            best[k] = (ms, e["record"])
    return {k: line for k, (_, line) in sorted(best.items())}


class _Runner:
    """The auto-scheduler's local runner, replaced: each built candidate loaded
    here and timed on the bridge op's launcher (measure.Measurer), as the
    AutoTVM tuner does."""

    def __init__(self, measurer, rng):
        self.measurer = measurer
        self.rng = rng

    def __call__(self, inputs, build_results, *_settings):
        out = []
        for _inp, built in zip(inputs, build_results, strict=True):
            t0 = time.time()
            if built.error_no != 0:
                out.append(
                    MeasureResult([MAX_FLOAT], built.error_no, built.error_msg or "", built.time_cost, time.time())
                )
                continue
            try:
                module = tvm.runtime.load_module(built.filename)
                self.measurer.launcher.redirect(built.filename)
                seconds = self.measurer._time(module, measure.random_args(built.args, self.rng))
                out.append(MeasureResult([seconds], 0, "", built.time_cost + time.time() - t0, time.time()))
            except Exception as exc:  # a candidate that does not run is a bad candidate
                out.append(MeasureResult([MAX_FLOAT], 4, str(exc)[:200], built.time_cost, time.time()))
            finally:
                shutil.rmtree(os.path.dirname(built.filename), ignore_errors=True)
        return out


class _Recorder(auto_scheduler.measure.PythonBasedMeasureCallback):
    """Appends every measured candidate to the database as it comes."""

    def __init__(self, db, isa, threads, artifact, log):
        super().__init__()
        self.db, self.isa, self.threads, self.artifact, self.log = db, isa, threads, artifact, log
        self.count = 0

    def callback(self, policy, inputs, results):
        for inp, res in zip(inputs, results, strict=True):
            costs = [float(c) for c in res.costs] if res.error_no == 0 else None
            if costs is not None and not all(0 < c < MAX_FLOAT for c in costs):
                costs = None
            tuning_db.append(
                self.db,
                {
                    "v": tuning_db.FORMAT,
                    "tuner": TUNER,
                    "isa": self.isa,
                    "workload": inp.task.workload_key,
                    "kind": "record",
                    "config": -1,
                    "costs": costs,
                    "threads": self.threads,
                    "flop": int(inp.task.compute_dag.flop_ct),
                    "record": auto_scheduler.measure_record.dump_record_to_string(inp, res).strip(),
                    "artifact": self.artifact,
                },
            )
            self.count += 1


def build_with(mod, params, target, opt_level, record_lines):
    """relay.build with these auto-scheduler records (none: the untuned build)."""
    relay.backend.te_compiler.get().clear()
    if not record_lines:
        with tvm.transform.PassContext(opt_level=opt_level):
            return relay.build(mod, target=target, params=params)
    folder = tempfile.mkdtemp(prefix="tf2tvm-ansor-")
    try:
        log = os.path.join(folder, "records.json")
        with open(log, "w", encoding="utf-8") as f:
            f.write("\n".join(record_lines) + "\n")
        with (
            auto_scheduler.ApplyHistoryBest(log),
            tvm.transform.PassContext(opt_level=opt_level, config=BUILD_CONFIG, disabled_pass=DISABLED_PASSES),
        ):
            return relay.build(mod, target=target, params=params)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        relay.backend.te_compiler.get().clear()


def tune_artifact(mod, params, target, opt_level, db, trials, artifact, measurer, rng, log):
    """Brings the artifact's auto-scheduler candidates in `db` to `trials`
    (counting those of its workloads already there), then times the build
    with the best records against the untuned build. Returns its summary."""
    t0 = time.monotonic()
    isa = tuning_db.target_isa(target)
    threads = measurer.threads
    with tvm.transform.PassContext(opt_level=opt_level):
        tasks, weights = extract(mod, params, target, threads, opt_level)
    keys = {t.workload_key for t in tasks}
    flop = int(sum(t.compute_dag.flop_ct * w for t, w in zip(tasks, weights, strict=True)))
    before = [e for e in _entries(db, isa) if e.get("kind") == "record" and e.get("workload") in keys]
    remaining = max(0, int(trials) - len(before))
    recorder = _Recorder(db, isa, threads, artifact, log)
    if tasks and remaining > 0:
        folder = tempfile.mkdtemp(prefix="tf2tvm-ansor-tune-")
        previous = tvm.get_global_func("auto_scheduler.local_runner.run")
        try:
            history = os.path.join(folder, "history.json")
            with open(history, "w", encoding="utf-8") as f:
                f.writelines(e["record"] + "\n" for e in before if e.get("costs"))
            tvm.register_func("auto_scheduler.local_runner.run", _Runner(measurer, rng), override=True)
            per_round = max(1, min(_PER_ROUND, remaining // max(1, len(tasks))))
            scheduler = auto_scheduler.TaskScheduler(
                tasks, weights, load_log_file=history if before else None, callbacks=[]
            )
            options = auto_scheduler.TuningOptions(
                num_measure_trials=remaining,
                num_measures_per_round=per_round,
                builder=auto_scheduler.LocalBuilder(build_func=cc.create_shared, n_parallel=1, timeout=60),
                runner=auto_scheduler.LocalRunner(timeout=60, number=1, repeat=1),
                measure_callbacks=[recorder],
                verbose=0,
            )
            scheduler.tune(options, search_policy_params={"evolutionary_search_population": _POPULATION})
        finally:
            tvm.register_func("auto_scheduler.local_runner.run", previous, override=True)
            shutil.rmtree(folder, ignore_errors=True)
    entries = _entries(db, isa)
    lines = list(_best_lines(entries, keys).values())
    verdict = next(
        (
            e
            for e in reversed(entries)
            if e.get("kind") == "artifact" and e.get("workload") == artifact and e.get("records") == lines
        ),
        None,
    )
    error = None
    if lines and verdict is None:
        try:
            untuned = build_with(mod, params, target, opt_level, [])
            tuned = build_with(mod, params, target, opt_level, lines)
            base, best = measurer.compare_builds(mod, params, untuned, tuned, rng, rounds=_VERDICT_ROUNDS)
        except Exception as exc:  # records that do not build cannot be applied
            error = (str(exc).strip().splitlines() or [type(exc).__name__])[-1][:300]
            log(f"tune ansor {artifact[:12]}: the build with its records failed: {exc}")
        else:
            verdict = tuning_db.artifact_entry(TUNER, isa, artifact, best, base, lines, threads, flop)
            tuning_db.append(db, verdict)
    summary = {
        "workload": artifact,
        "task": "ansor",
        "flop": flop,
        "tasks": len(tasks),
        "trials": len(before) + recorder.count,
        "measured": recorder.count,
        "threads": threads,
        "untuned_ms": None if verdict is None else float(np.median(verdict["untuned_costs"])) * 1e3,
        "best_ms": None if verdict is None else float(np.median(verdict["costs"])) * 1e3,
        "seconds": round(time.monotonic() - t0, 1),
    }
    if error is not None:
        summary["error"] = error
    log("tune ansor " + json.dumps(summary, sort_keys=True))
    return summary
