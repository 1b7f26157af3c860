"""The tuning database: `tf2tvm tune --tuning-db FILE`, applied by `compile --tuning-db FILE`.

A text file of JSON lines, one measurement a line, appended as measured (one
write and an fsync each, under an exclusive lock), so a tune killed at any
point loses only the candidate in flight and a second tune on the same file
continues where the first stopped. Each line is self-contained:

  {"v": 1, "tuner": "autotvm", "isa": "cascadelake", "workload": "<key>",
   "kind": "untuned" | "candidate" | "verdict", "config": index in the
   task's space, "costs": [seconds, ...] or null (did not build or run),
   "threads": n, "flop": task flop count,
   "record": AutoTVM record line (candidates only),
   "untuned_costs": [seconds, ...] (verdicts only)}

A verdict times the search's best configuration and the untuned one in
alternation on the same inputs, after both are warm: what decides whether a
build applies the record (a margin over the untuned time, on the TypeScript
side).

Lines are keyed by workload (the task's name and arguments, so a workload
tuned for one model serves every model that has it) and ISA (the target's
-mcpu: records are applied only to targets of the same ISA). Which record a
build applies is decided on the TypeScript side (backends/tvm/tuning-db.ts):
a workload's best candidate, and only where it beat the untuned schedule.

The search is AutoTVM's droplet search, started from the untuned
configuration's position in the task's space; measure.py times each
candidate the way the bridge op runs it. Resuming replays: the droplet search is deterministic given the costs it is
fed, so a candidate already in the database is not measured again but fed its
recorded costs; the search then reaches the same state and goes on.
"""

import fcntl
import json
import os
import shutil
import tempfile
import time

import numpy as np
import tvm
from tvm import autotvm, relay
from tvm.autotvm.measure import MeasureInput, MeasureResult
from tvm.autotvm.task.space import FallbackConfigEntity, SplitEntity
from tvm.autotvm.tuner import DropletTuner

import x86_winograd

FORMAT = 1
TUNER = "autotvm"
# Candidates proposed per search step (the droplet tuner's batch).
_BATCH = 8
# Alternating timings of untuned and best for the decision.
_VERDICT_ROUNDS = 5
# Alternating timings of a whole artifact, untuned and with its records (fewer calls each: more rounds).
_ARTIFACT_ROUNDS = 9


def workload_key(task):
    """Stable text of a task's workload: its name and arguments."""
    return repr(task.workload)


def target_isa(target):
    """The ISA a record is valid for: the target's -mcpu (and -mattr, if any)."""
    mcpu = str(target.mcpu) if target.mcpu else "generic"
    mattr = sorted(str(a) for a in target.mattr) if target.mattr else []
    return mcpu if not mattr else mcpu + "+" + ",".join(mattr)


def read(path):
    """Every complete line of the database (a line cut short by a kill is skipped)."""
    if not os.path.exists(path):
        return []
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.endswith("\n"):
                break
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and entry.get("v") == FORMAT:
                out.append(entry)
    return out


def append(path, entry):
    """Appends one line durably; a torn last line left by a kill is ended first."""
    text = json.dumps(entry, sort_keys=True) + "\n"
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        size = os.fstat(fd).st_size
        if size > 0:
            os.lseek(fd, size - 1, os.SEEK_SET)
            if os.read(fd, 1) != b"\n":
                text = "\n" + text
        os.write(fd, text.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


# AutoTVM's search starts from the untuned schedule: TVM's fallback
# configuration (with x86_schedules' adjustments), filled in by the template.


def _same_entity(a, b):
    """Whether two knob values are the same choice. A split in the space
    leaves its outer factor as -1 ([-1, 16]); the fallback spells it out
    ([4, 16]): the inner factors decide."""
    if isinstance(a, SplitEntity) and isinstance(b, SplitEntity):
        return list(a.size[1:]) == list(b.size[1:])
    return repr(a) == repr(b)


# The knobs that decide a convolution's data layout: the blocking of its input
# and output channels (NCHW[x]c), which AlterOpLayout gives the tensors between
# operators. A candidate that changes them is faster alone but puts layout
# transforms between it and its neighbours and keeps the next add or ReLU from
# fusing into it (measured on ResNet50: 25 layout transforms, 7% slower in
# all), so the search keeps the untuned schedule's blocking.
_LAYOUT_KNOBS = ("tile_ic", "tile_oc")
# Verdicts taken under this rule (older ones may be of a layout-changing candidate).
RULE = 2


def keeps_layout(task, config, fallback):
    """Whether `config` blocks the channels as the untuned schedule does (always, for a task without such knobs)."""
    for name in _LAYOUT_KNOBS:
        if name in task.config_space.space_map:
            if not _same_entity(config[name], fallback[name]):
                return False
    return True


class _LayoutKeepingDroplet(DropletTuner):
    """AutoTVM's droplet search with the layout knobs pinned to the untuned
    schedule's choice: every neighbour it proposes keeps the layout (so a
    batch is all measurable candidates)."""

    def __init__(self, task, start_position, pinned):
        self._pinned = pinned  # knob position -> entity index
        super().__init__(task, start_position=start_position)

    def next_pos(self, new_positions):
        out = []
        for offset in new_positions:
            if len(out) > self.batch:
                break
            pos = [
                0 if x + y <= 0 else (x + y) % self.dims[i]
                for i, (x, y) in enumerate(zip(offset, self.best_choice[1], strict=False))
            ]
            for i, v in self._pinned.items():
                pos[i] = v
            point = self.space.knob2point(pos)
            if point not in self.visited:
                self.visited.add(point)
                out.append((point, pos))
        return out


def _search(task, fallback):
    start = start_position(task, fallback)
    names = list(task.config_space.space_map)
    pinned = {i: start[i] for i, name in enumerate(names) if name in _LAYOUT_KNOBS}
    return _LayoutKeepingDroplet(task, start, pinned) if pinned else DropletTuner(task, start_position=start)


def start_position(task, fallback):
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


def fallback_config(task, target):
    """The configuration TVM uses when nothing is tuned (filled in by the template)."""
    cfg = FallbackConfigEntity()
    with target:
        task.instantiate(cfg)
    return cfg


def _tensor_calls(func):
    """(op, ((shape, dtype) of each tensor argument), strides, dilation) of every call in func."""
    calls = []

    def visit(node):
        if isinstance(node, relay.Call) and isinstance(node.op, tvm.ir.Op):
            tensors = []
            for a in node.args:
                ty = a.checked_type
                if isinstance(ty, relay.TensorType):
                    tensors.append((tuple(int(d) for d in ty.shape), str(ty.dtype)))
            attrs = node.attrs
            strides = tuple(int(x) for x in attrs.strides) if attrs is not None and hasattr(attrs, "strides") else None
            dilation = (
                tuple(int(x) for x in attrs.dilation) if attrs is not None and hasattr(attrs, "dilation") else None
            )
            calls.append((str(node.op.name), tuple(tensors), strides, dilation))

    relay.analysis.post_order_visit(func, visit)
    return calls


def extract_tasks(mod, params, target):
    """The tunable tasks of mod['main'] with their weights: how many calls
    compute each (AutoTVM extracts each distinct workload once, but a block
    repeated three times costs three times)."""
    tasks = autotvm.task.extract_from_program(mod["main"], target=target, params=params)
    tasks = [t for t in tasks if not x86_winograd.replaces_task(t)]
    calls = _tensor_calls(relay.transform.InferType()(mod)["main"])
    out = []
    for task in tasks:
        tensors = tuple((tuple(a[1]), a[2]) for a in task.args if isinstance(a, tuple) and a and a[0] == "TENSOR")
        rest = [a for a in task.args if not (isinstance(a, tuple) and a and a[0] == "TENSOR")]
        conv = "conv" in task.name and len(rest) >= 3

        def matches(call, tensors=tensors, rest=rest, conv=conv):
            if call[1][: len(tensors)] != tensors:
                return False
            if conv and call[2] is not None:
                return tuple(rest[0]) == call[2] and tuple(rest[2]) == call[3]
            return True

        weight = sum(1 for c in calls if matches(c)) or 1
        out.append((task, weight))
    # Heaviest first (flop x weight), then by key: a stopped tune has the biggest wins.
    out.sort(key=lambda tw: (-(tw[0].flop or 0) * tw[1], workload_key(tw[0])))
    return out


def _median(costs):
    return None if not costs else float(np.median(costs))


def tune_workload(task, target, trials, db, measurer, rng, log, replay=False):
    """Brings the workload to `trials` candidates in `db` (counting those
    already there), measuring the untuned schedule first if it is not
    recorded; `measurer` (measure.Measurer) times candidates on the bridge
    op's launcher. With `replay`, nothing is searched or measured but the
    verdict on the best recorded candidate, if it is missing. Returns the
    workload's summary."""
    threads = measurer.threads
    t0 = time.monotonic()
    key, isa = workload_key(task), target_isa(target)
    mine = [e for e in read(db) if e.get("workload") == key and e.get("isa") == isa and e.get("tuner") == TUNER]
    base_entry = next((e for e in mine if e.get("kind") == "untuned"), None)
    known = {}
    for e in mine:
        if e.get("kind") == "candidate" and isinstance(e.get("config"), int):
            known.setdefault(e["config"], e.get("costs"))

    def entry(kind, config, costs, record=None):
        e = {
            "v": FORMAT,
            "tuner": TUNER,
            "isa": isa,
            "workload": key,
            "kind": kind,
            "config": config,
            "costs": costs,
            "threads": threads,
            "flop": int(task.flop or 0),
        }
        if record is not None:
            e["record"] = record
        return e

    fallback = fallback_config(task, target)
    if base_entry is None:
        seconds = measurer.measure(task, fallback, target, rng)
        base_entry = entry("untuned", -1, None if seconds is None else [seconds])
        append(db, base_entry)
    base = _median(base_entry.get("costs"))

    tuner = _search(task, fallback)
    limit = min(trials, len(task.config_space))
    tried, measured, proposals = 0, 0, 0
    while not replay and tried < limit and tuner.has_next():
        configs = tuner.next_batch(min(_BATCH, limit - tried))
        if not configs:
            break
        inputs, results = [], []
        # The batch's new candidates, measured by the measurer's means (one by one here, several
        # servers at once on a farm); each recorded as soon as it and those before it are in.
        proposals += len(configs)
        # A candidate that changes the layout is never measured: the search is told it failed.
        todo = [c for c in configs if c.index not in known and keeps_layout(task, c, fallback)]
        start = time.time()
        for config, seconds in zip(todo, measurer.measure_batch(task, todo, target, rng), strict=True):
            costs = None if seconds is None else [seconds]
            if costs is None:
                res = MeasureResult((RuntimeError("build or run failed"),), 4, time.time() - start, time.time())
            else:
                res = MeasureResult(tuple(costs), 0, time.time() - start, time.time())
            record = autotvm.record.encode(MeasureInput(target, task, config), res)
            append(db, entry("candidate", config.index, costs, record))
            known[config.index] = costs
            measured += 1
            start = time.time()
        for config in configs:
            inp = MeasureInput(target, task, config)
            costs = known[config.index] if keeps_layout(task, config, fallback) else None
            if costs is None:
                res = MeasureResult((RuntimeError("build or run failed"),), 4, 0.0, 0.0)
            else:
                res = MeasureResult(tuple(costs), 0, 0.0, 0.0)
            inputs.append(inp)
            results.append(res)
        tuner.update(inputs, results)
        tried += sum(1 for c in configs if keeps_layout(task, c, fallback))
        if proposals > 20 * max(1, limit):
            break  # the space left is all layout changes
    # The best is the fastest layout-keeping candidate recorded, whichever run
    # measured it: a replay (nothing new to measure) finds the same one.
    best, best_config = None, None
    for index, costs in sorted(known.items()):
        if not costs or not task.config_space.is_index_valid(index):
            continue
        config = task.config_space.get(index)
        if keeps_layout(task, config, fallback) and (best is None or _median(costs) < best):
            best, best_config = _median(costs), config
    # The decision: the search's best against the untuned schedule, timed in
    # alternation on the same inputs (a cold baseline or a noisy burst must
    # not decide). Recorded once per best configuration.
    verdict = next(
        (
            e
            for e in mine
            if e.get("kind") == "verdict"
            and e.get("rule") == RULE
            and best_config is not None
            and e.get("config") == best_config.index
        ),
        None,
    )
    if best_config is not None and verdict is None:
        pair = measurer.compare(task, fallback, best_config, target, rng, rounds=_VERDICT_ROUNDS)
        if pair is not None:
            verdict = entry("verdict", best_config.index, pair[1])
            verdict["untuned_costs"] = pair[0]
            verdict["rule"] = RULE
            append(db, verdict)
    summary = {
        "workload": key,
        "task": task.name,
        "flop": int(task.flop or 0),
        "trials": tried,
        "measured": measured,
        "untuned_ms": None if base is None else base * 1e3,
        "best_ms": None if best is None else best * 1e3,
        "threads": threads,
        "verdict": None
        if verdict is None
        else {"untuned_ms": _median(verdict["untuned_costs"]) * 1e3, "best_ms": _median(verdict["costs"]) * 1e3},
        "seconds": round(time.monotonic() - t0, 1),
    }
    log(
        f"tune {task.name} {key}: {tried} candidates ({measured} measured now), "
        f"untuned {summary['untuned_ms']} ms, best {summary['best_ms']} ms ({summary['seconds']} s)"
    )
    return summary


# What a build applies, per workload (as backends/tvm/tuning-db.ts decides it):
# the candidate of the fastest verdict under RULE that beat untuned by the margin.
APPLY_MARGIN = 0.03


def applied_records(entries, isa, keys):
    """The AutoTVM record lines a build of an artifact with workloads `keys` applies, in workload order."""
    best = {}
    records = {}
    for e in entries:
        if e.get("tuner") != TUNER or e.get("isa") != isa or e.get("workload") not in keys:
            continue
        if e.get("kind") == "candidate" and e.get("record"):
            records.setdefault((e["workload"], e["config"]), e["record"])
        elif e.get("kind") == "verdict" and e.get("rule") == RULE and e.get("costs") and e.get("untuned_costs"):
            b, u = _median(e["costs"]), _median(e["untuned_costs"])
            if b < u * (1 - APPLY_MARGIN) and (e["workload"] not in best or b < best[e["workload"]][0]):
                best[e["workload"]] = (b, e["config"])
    return [records[(k, c)] for k, (_, c) in sorted(best.items()) if (k, c) in records]


def artifact_entry(tuner, isa, artifact, costs, untuned_costs, lines, threads, flop):
    """The database line of an artifact verdict: its build with `lines` against its untuned build."""
    return {
        "v": FORMAT,
        "tuner": tuner,
        "isa": isa,
        "workload": artifact,
        "kind": "artifact",
        "config": -1,
        "costs": costs,
        "untuned_costs": untuned_costs,
        "records": lines,
        "threads": threads,
        "flop": flop,
    }


def judge_artifact(mod, params, target, opt_level, db, artifact, keys, measurer, rng, log, rounds=_ARTIFACT_ROUNDS):
    """The per-workload records an artifact would apply, timed as a whole
    build against its untuned build (in alternation): a record that wins
    alone can still lose in the graph (a switch of implementation, a fusion
    lost), so a build applies them only where this verdict won. Recorded once
    per set of records, under the artifact's module key. Returns the verdict
    or None (no record to apply, or the build failed)."""
    isa = target_isa(target)
    entries = read(db)
    lines = applied_records(entries, isa, keys)
    if not lines:
        return None
    for e in reversed(entries):
        if (
            e.get("tuner") == TUNER
            and e.get("kind") == "artifact"
            and e.get("workload") == artifact
            and e.get("records") == lines
        ):
            return e
    folder = tempfile.mkdtemp(prefix="tf2tvm-judge-")
    try:
        path = os.path.join(folder, "records.log")
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        relay.backend.te_compiler.get().clear()
        with tvm.transform.PassContext(opt_level=opt_level):
            untuned = relay.build(mod, target=target, params=params)
        relay.backend.te_compiler.get().clear()
        with autotvm.apply_history_best(path), tvm.transform.PassContext(opt_level=opt_level):
            tuned = relay.build(mod, target=target, params=params)
        relay.backend.te_compiler.get().clear()
        base, best = measurer.compare_builds(mod, params, untuned, tuned, rng, rounds=rounds)
    except Exception as exc:  # records that do not build are not applied
        log(f"judge {artifact[:12]}: the build with its records failed: {exc}")
        return None
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    verdict = artifact_entry(TUNER, isa, artifact, best, base, lines, measurer.threads, 0)
    append(db, verdict)
    log(
        f"judge {artifact[:12]}: {len(lines)} records, untuned {_median(base) * 1e3:.3f} ms, tuned {_median(best) * 1e3:.3f} ms"
    )
    return verdict
