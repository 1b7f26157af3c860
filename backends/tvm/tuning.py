"""`--tune N`: AutoTVM, measured in this process, never slower than untuned.

For each tunable task of a function (extracted by AutoTVM: the convolutions
and dense products), the untuned configuration (TVM's fallback, with
x86_schedules' adjustments) is built and timed first; then a droplet search
starting from that configuration tries up to N others. A task's best
configuration is written to the log only when it beats the untuned one, so a
build under the log is never slower than without it on any task, by
measurement.

Measurement happens here, not through AutoTVM's RPC runner (which this TVM
cannot load modules through on x86), the way the bridge op runs the code
(measure.py): each candidate is built with tvm.build, exported, loaded,
its parallel loops pointed at the bridge op's launcher (the launcher
library, on a thread pool) and timed with time_evaluator on random inputs,
on as many threads as the bridge op will use. Every task summary records
that thread count.

The log is AutoTVM's JSON-lines format, written atomically; relay.build
applies it with apply_history_best.
"""

import os
import time

import numpy as np
from tvm import autotvm
from tvm.autotvm.measure import MeasureInput, MeasureResult
from tvm.autotvm.task.space import FallbackConfigEntity, SplitEntity
from tvm.autotvm.tuner import DropletTuner

from measure import Measurer

# Candidates handed to the search per round.
_BATCH = 8


def _same_entity(a, b):
    """Whether two knob values are the same choice. A split in the space
    leaves its outer factor as -1 ([-1, 16]); the fallback spells it out
    ([4, 16]): the inner factors decide."""
    if isinstance(a, SplitEntity) and isinstance(b, SplitEntity):
        return list(a.size[1:]) == list(b.size[1:])
    return repr(a) == repr(b)


def _start_position(task, fallback):
    """The knob indices of the fallback configuration (0 where it is not in the space)."""
    position = []
    for name, knob in task.config_space.space_map.items():
        index = 0
        chosen = fallback._entity_map.get(name) if hasattr(fallback, "_entity_map") else None
        if chosen is not None:
            for i, entity in enumerate(knob.entities):
                if _same_entity(entity, chosen):
                    index = i
                    break
        position.append(index)
    return position


def _fallback_config(task, target):
    """The configuration TVM uses when nothing is tuned (filled in by the template)."""
    cfg = FallbackConfigEntity()
    with target:
        task.instantiate(cfg)
    return cfg


def tune_task(task, target, trials, rng, log, measurer):
    """Returns (record line or None, summary dict). `measurer` times
    candidates (measure.Measurer)."""
    t0 = time.monotonic()
    fallback = _fallback_config(task, target)
    base = measurer.measure(task, fallback, target, rng)
    tuner = DropletTuner(task, start_position=_start_position(task, fallback))
    best = None  # (seconds, MeasureInput, MeasureResult)
    tried = 0
    limit = min(trials, len(task.config_space))
    while tried < limit and tuner.has_next():
        configs = tuner.next_batch(min(_BATCH, limit - tried))
        if not configs:
            break
        inputs, results = [], []
        for config in configs:
            start = time.time()
            seconds = measurer.measure(task, config, target, rng)
            inp = MeasureInput(target, task, config)
            if seconds is None:
                res = MeasureResult((RuntimeError("build or run failed"),), 4, time.time() - start, time.time())
            else:
                res = MeasureResult((seconds,), 0, time.time() - start, time.time())
                if best is None or seconds < best[0]:
                    best = (seconds, inp, res)
            inputs.append(inp)
            results.append(res)
        tuner.update(inputs, results)
        tried += len(configs)
    summary = {
        "task": task.name,
        "workload": str(task.args[0][1]) if task.args else "",
        "trials": tried,
        "untuned_ms": None if base is None else base * 1e3,
        "best_ms": None if best is None else best[0] * 1e3,
        "threads": measurer.threads,
        "seconds": round(time.monotonic() - t0, 1),
    }
    # Unrounded: the report must show what the decision compared.
    improved = best is not None and (base is None or best[0] < base)
    summary["kept"] = improved
    log(
        f"tune {task.name} {summary['workload']}: {tried} trials on {measurer.threads} threads, untuned {summary['untuned_ms']} ms, "
        f"best {summary['best_ms']} ms -> {'tuned' if improved else 'untuned'} ({summary['seconds']} s)"
    )
    return (autotvm.record.encode(best[1], best[2]) if improved else None), summary


def tune(mod, params, target, trials, log_path, log=print, seed=0, launcher=None, threads=None):
    """Tunes every task of mod['main'] and writes the records to log_path
    (atomically). Returns the per-task summaries. `launcher` is the path of
    the launcher library (default: build/runtime of this checkout), `threads`
    the task count per parallel loop (default: the bridge op's,
    measure.tuning_threads); a missing launcher fails here, before anything
    is timed."""
    measurer = Measurer(launcher, threads)
    tasks = autotvm.task.extract_from_program(mod["main"], target=target, params=params)
    # Heaviest first: a user who stops early has the biggest wins.
    tasks.sort(key=lambda t: (-(t.flop or 0), str(t.workload)))
    log(f"tune: {len(tasks)} tasks, up to {trials} trials each, timed on {measurer.threads} threads")
    rng = np.random.default_rng(seed)
    lines, summaries = [], []
    for task in tasks:
        line, summary = tune_task(task, target, trials, rng, log, measurer)
        summaries.append(summary)
        if line is not None:
            lines.append(line)
    folder = os.path.dirname(os.path.abspath(log_path))
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".{os.path.basename(log_path)}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in lines))
    os.replace(tmp, log_path)
    return summaries
