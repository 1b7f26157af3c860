// `tf2tvm tune MODEL --trials N --tuning-db FILE`: the model's clusters are
// analyzed and emitted as for compile, their tunable workloads listed and
// merged across artifacts (a workload's weight is how many calls compute it,
// summed over every artifact), and N candidates in all are spread over the
// workloads by their share of the model's time (weight x untuned time where
// the database has it, weight x flop before that: allot). Candidates
// already in the database count: a second tune on the same file continues
// where the first stopped (a killed tune loses only the candidate in flight).
// The build worker appends every measurement to the database as it goes;
// progress is read back from the file.

import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, fstatSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findToolchain, hostTarget, type Toolchain } from '../../backends/python/toolchain.js';
import {
  artifactRecords,
  artifactVerdicts,
  gains,
  judged,
  readTuningDb,
  recordsFor,
  targetIsa,
  workloadStates,
  type DbEntry,
} from '../../backends/tvm/tuning-db.js';
import { BuildWorker, buildScriptHash, launcherLibrary, type Tuner, type WorkloadTask } from '../../backends/tvm/worker.js';
import { errors, warnings, type Diagnostic } from '../../ir/support/diagnostics.js';
import { projectPath } from '../../ir/support/project.js';
import type { ClusterOptions } from '../../passes/state.js';
import { BuildCache } from '../cache.js';
import { Staging } from '../output.js';
import type { ShapeRequest } from '../shapes.js';
import { analyzeModel } from './analyze.js';
import { withModel, type ModelSelection } from '../model-input.js';
import { paramFilePaths } from '../../backends/relay/files.js';
import { emitDrafts, paramDir, type BuildSettings, type Draft } from './emit.js';
import { listTasks } from './tuning.js';

export interface TuneRequest extends ModelSelection {
  readonly model: string;
  readonly shapes: ShapeRequest;
  readonly cluster: ClusterOptions;
  readonly target?: string;
  readonly optLevel: number;
  readonly disableOpts: readonly string[];
  readonly db: string;
  /** Candidates for the whole model, over all its workloads (those already in the database count). */
  readonly trials: number;
  /** Threads each candidate is measured on. */
  readonly threads: number;
  /** Default autotvm. */
  readonly tuner?: Tuner;
  /** Measure on a farm: the servers registered under `key` with the RPC tracker `tracker` (HOST:PORT). */
  readonly rpc?: { readonly tracker: string; readonly key: string };
  readonly cacheDir: string;
  readonly warn: (d: Diagnostic) => void;
  readonly progress: (e: TuneProgress) => void;
}

export interface TuneProgress {
  readonly workload: string;
  readonly task: string;
  readonly index: number;
  readonly workloads: number;
  readonly done: number;
  readonly total: number;
  readonly bestMs?: number;
  readonly untunedMs?: number;
  readonly flop: number;
  /** Seconds left at the pace so far, over every workload. */
  readonly etaSeconds?: number;
}

export interface TunedWorkload {
  readonly workload: string;
  readonly task: string;
  readonly weight: number;
  readonly flop: number;
  /** Candidates allotted, and recorded in the database. */
  readonly allotted: number;
  readonly candidates: number;
  readonly untuned_ms: number | null;
  readonly best_ms: number | null;
  /** What a build runs: the best's time where it won the alternating verdict by the margin, else the untuned time. */
  readonly applied_ms: number | null;
  /** The record is applied. */
  readonly applied: boolean;
  readonly gflops: number | null;
  readonly peak_pct: number | null;
}

export interface TunedArtifact {
  /** cluster/shapes */
  readonly artifact: string;
  /** Records it would apply (0: nothing gained per workload, the untuned build). */
  readonly records: number;
  readonly untuned_ms: number | null;
  readonly tuned_ms: number | null;
  /** Its records are applied by compile --tuning-db: the whole build won by the margin. */
  readonly applied: boolean;
}

export interface TuneResult extends TunedModel {
  readonly db: string;
  readonly target: string;
  readonly seconds: number;
}

interface Workload {
  readonly key: string;
  readonly task: string;
  readonly flop: number;
  weight: number;
  /** The first artifact that computes it: where it is tuned. */
  readonly draft: Draft;
}

/** Tasks of every artifact merged by workload, heaviest share first. */
export function mergeWorkloads(tasks: ReadonlyMap<Draft, readonly WorkloadTask[]>): Workload[] {
  const byKey = new Map<string, Workload>();
  for (const [draft, list] of tasks) {
    for (const t of list) {
      const w = byKey.get(t.workload);
      if (w) w.weight += t.weight;
      else byKey.set(t.workload, { key: t.workload, task: t.task, flop: t.flop, weight: t.weight, draft });
    }
  }
  return [...byKey.values()].sort((a, b) => b.flop * b.weight - a.flop * a.weight || (a.key < b.key ? -1 : 1));
}

/**
 * N candidates over the workloads in proportion to their share of the
 * model's time: weight x the untuned time where the database has measured
 * it, else weight x flop at the pace of those measured (flop alone when none
 * is). A workload that runs far below the others' GFLOP/s thus gets more
 * of the budget than its flop alone would give it, which is where a search
 * finds the most. Largest remainders first, each workload at least one while
 * the budget lasts; deterministic given the database.
 */
export function allot(
  workloads: readonly { readonly flop: number; readonly weight: number; readonly untunedMs?: number }[],
  trials: number,
): number[] {
  const n = workloads.length;
  if (n === 0) return [];
  let knownFlop = 0;
  let knownMs = 0;
  for (const w of workloads) {
    if (w.untunedMs !== undefined && w.untunedMs > 0) {
      knownFlop += Math.max(1, w.flop);
      knownMs += w.untunedMs;
    }
  }
  const flopPerMs = knownMs > 0 ? knownFlop / knownMs : 1;
  const work = workloads.map((w) => (w.untunedMs !== undefined && w.untunedMs > 0 ? w.untunedMs : Math.max(1, w.flop) / flopPerMs) * w.weight);
  const total = work.reduce((a, b) => a + b, 0);
  const floor = Math.min(1, Math.floor(trials / n));
  const spare = trials - floor * n;
  const exact = work.map((x) => (spare * x) / total);
  const out = exact.map((x) => floor + Math.floor(x));
  let left = trials - out.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => ({ i, frac: x - Math.floor(x) })).sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    out[i]!++;
    left--;
  }
  return out;
}

/** Nominal FP32 peak of `threads` cores of this CPU: GHz x FLOP per cycle (FMA width x 2 units). */
export function nominalPeakGflops(threads: number, cpuinfo?: string): number {
  let text = cpuinfo;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/cpuinfo', 'utf8');
    } catch {
      text = '';
    }
  }
  const mhz = Number(/^cpu MHz\s*:\s*([\d.]+)/m.exec(text)?.[1] ?? '') || 2500;
  const flags = new Set((/^flags\s*:(.*)$/m.exec(text)?.[1] ?? '').trim().split(/\s+/));
  const perCycle = flags.has('avx512f') ? 64 : flags.has('avx2') && flags.has('fma') ? 32 : 8;
  return (threads * mhz * perCycle) / 1000;
}

/** A peak figure: measured on this machine now, or nominal where the measuring program cannot run. */
export interface Peak {
  readonly gflops: number;
  readonly source: 'measured' | 'nominal';
}

/**
 * The FP32 peak `threads` threads reach on this machine, measured by the
 * runtime's tf2tvm_peak (runtime/peak.cc: FMA chains on that many threads at
 * once, about half a second); the nominal figure where it is not built or
 * fails. Measured because the nominal one is wrong where the hardware splits
 * 512-bit FMAs (AMD Zen 4: 0.7x of it) or the MHz the kernel reports is not
 * the clock the cores run at (KVM).
 */
export function peakGflops(threads: number, program = projectPath('build', 'runtime', 'tf2tvm_peak')): Peak {
  if (existsSync(program)) {
    const r = spawnSync(program, [String(threads)], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
    const m = /^(\d+(?:\.\d+)?) \S+ (\d+)$/m.exec(r.stdout ?? '');
    if (r.status === 0 && m && Number(m[1]) > 0 && Number(m[2]) === threads) return { gflops: Number(m[1]), source: 'measured' };
  }
  return { gflops: nominalPeakGflops(threads), source: 'nominal' };
}

export interface TuneOptions {
  readonly db: string;
  readonly trials: number;
  readonly threads: number;
  /** AutoTVM (default): per workload; the auto-scheduler: per artifact, its verdict on the whole build. */
  readonly tuner?: Tuner;
  /** Candidates timed on the servers registered under `key` with this RPC tracker (HOST:PORT). */
  readonly rpc?: { readonly tracker: string; readonly key: string };
  readonly progress: (e: TuneProgress) => void;
  /** Told when the machine is too busy for local measurements to be trusted. */
  readonly warn?: (d: Diagnostic) => void;
  /** The 1-minute load average and usable cores (default: this machine's), for the busy check. */
  readonly load?: { readonly average: number; readonly cores: number };
}

/**
 * Whether other work on the machine leaves too little of it for local
 * measurements: more runnable work than the cores minus the threads a
 * candidate runs on, before the tune starts.
 */
export function machineBusy(load: { readonly average: number; readonly cores: number }, threads: number): boolean {
  return load.average > Math.max(0.5, load.cores - threads + 0.5);
}

/** What a tune measured: per workload, and the threads and peak it was measured against. */
export interface TunedModel {
  readonly tuner: Tuner;
  readonly isa: string;
  readonly trials: number;
  /** Threads the candidates were measured on. */
  readonly threads: number;
  /** The FP32 peak of `threads` threads that `peak_pct` is against (peakGflops). */
  readonly peak_gflops: number;
  readonly peak_source: Peak['source'];
  readonly workloads: readonly TunedWorkload[];
  /** Per artifact: its whole build with the records it would apply, against its untuned build. */
  readonly artifacts: readonly TunedArtifact[];
}

/** The tune stage on emitted drafts (shared by `tune` and `compile --tune`). */
export async function tuneDrafts(
  drafts: readonly Draft[],
  settings: BuildSettings,
  cache: BuildCache,
  toolchain: Toolchain,
  staging: Staging,
  opts: TuneOptions,
): Promise<TunedModel> {
  const isa = targetIsa(settings.target);
  const load = opts.load ?? { average: os.loadavg()[0]!, cores: os.availableParallelism() };
  if (!opts.rpc && machineBusy(load, opts.threads)) opts.warn?.(warnings.busyMachine(load.average, load.cores, opts.threads));
  // Read first: a file that is not a database is refused before any work.
  const entries = readTuningDb(opts.db);
  if (opts.tuner === 'ansor') return tuneArtifacts(drafts, settings, cache, toolchain, staging, opts, entries);
  const before = workloadStates(entries, isa);
  const listed = await listTasks(drafts, settings, cache, toolchain, staging);
  const workloads = mergeWorkloads(listed);
  const allotted = allot(
    workloads.map((w) => ({ flop: w.flop, weight: w.weight, untunedMs: before.get(w.key)?.untunedMs })),
    opts.trials,
  );
  const progress = new DbProgress(opts.db, isa, workloads, allotted, before, opts.progress);
  const worker = new BuildWorker(toolchain, { threads: opts.threads });
  // What the worker really measured on (it says so with every workload).
  let measuredThreads = 0;
  try {
    for (const d of drafts) {
      const mine = workloads.map((w, i) => ({ w, n: allotted[i]! })).filter(({ w, n }) => w.draft === d && n > (before.get(w.key)?.candidates ?? 0));
      // Every artifact gets a job: after its own workloads are tuned, the records it would apply
      // (some tuned in other artifacts) are judged on its whole build (not on a farm).
      if (mine.length === 0 && opts.rpc) continue;
      const timer = setInterval(() => progress.poll(), 1000);
      try {
        const r = await worker.tune({
          kind: 'tune',
          id: `tune ${d.cluster}/${d.shapeKey}`,
          relay: d.relayFile,
          // Written for the tasks job (listTasks).
          params: paramFilePaths(paramDir(staging, d), d.emitted),
          target: settings.target,
          opt_level: settings.optLevel,
          disable: settings.disableOpts,
          db: path.resolve(opts.db),
          trials: Object.fromEntries(mine.map(({ w, n }) => [w.key, n])),
          ...(opts.rpc ? {} : { artifact: d.moduleKey }),
          threads: opts.threads,
          launcher: launcherLibrary(),
          ...(opts.rpc ? { rpc: opts.rpc } : {}),
        });
        if (!r.ok) throw errors.toolchainFailed(`tuning ${d.cluster}/${d.shapeKey}: ${r.error}${r.log ? ` (log: ${r.log})` : ''}`);
        for (const t of r.tuning) measuredThreads = Math.max(measuredThreads, t.threads);
      } finally {
        clearInterval(timer);
        progress.poll();
      }
    }
  } finally {
    await worker.close();
  }
  const afterEntries = readTuningDb(opts.db);
  const after = workloadStates(afterEntries, isa);
  const judgements = artifactVerdicts(afterEntries, isa, 'autotvm');
  const artifacts = drafts.map((d): TunedArtifact => {
    const records = recordsFor(
      after,
      (listed.get(d) ?? []).map((t) => t.workload),
    );
    const v = judgements.get(d.moduleKey);
    const same = v && records && v.lines.length === records.lines.length && v.lines.every((l, i) => l === records.lines[i]);
    return {
      artifact: `${d.cluster}/${d.shapeKey}`,
      records: records?.lines.length ?? 0,
      untuned_ms: same ? v.untunedMs : null,
      tuned_ms: same ? v.bestMs : null,
      applied: Boolean(judged(records, v)),
    };
  });
  const threads = measuredThreads || opts.threads;
  const peak = peakGflops(threads);
  const rows = workloads.map((w, i): TunedWorkload => {
    const s = after.get(w.key);
    const untuned = s?.untunedMs ?? null;
    const best = s?.best?.ms ?? null;
    // What a build runs: the best, where its verdict beat untuned by the margin.
    const applied = gains(s) ? s!.verdict!.bestMs : (s?.verdict?.untunedMs ?? untuned);
    const gflops = applied ? w.flop / (applied * 1e6) : null;
    return {
      workload: w.key,
      task: w.task,
      weight: w.weight,
      flop: w.flop,
      allotted: allotted[i]!,
      candidates: s?.candidates ?? 0,
      untuned_ms: untuned,
      best_ms: best,
      applied_ms: applied,
      applied: gains(s),
      gflops,
      peak_pct: gflops === null ? null : (100 * gflops) / peak.gflops,
    };
  });
  return { tuner: 'autotvm', isa, trials: opts.trials, threads, peak_gflops: peak.gflops, peak_source: peak.source, workloads: rows, artifacts };
}

/** Auto-scheduler records of one artifact in the database (the tune job tags each with its artifact). */
function artifactCandidates(entries: readonly DbEntry[], isa: string, artifact: string): number {
  return entries.filter((e) => e.tuner === 'ansor' && e.isa === isa && e.kind === 'record' && e.artifact === artifact).length;
}

/**
 * The auto-scheduler's tune: N candidates over the artifacts by their share
 * of the model's time (allot), each artifact searched as a whole by its
 * task scheduler and then timed with its best records against its untuned
 * build; a row per artifact.
 */
async function tuneArtifacts(
  drafts: readonly Draft[],
  settings: BuildSettings,
  cache: BuildCache,
  toolchain: Toolchain,
  staging: Staging,
  opts: TuneOptions,
  entries: readonly DbEntry[],
): Promise<TunedModel> {
  if (opts.rpc) throw errors.usage('--tuner ansor times candidates on this machine only; tune on a farm with --tuner autotvm');
  const isa = targetIsa(settings.target);
  const tasks = await listTasks(drafts, settings, cache, toolchain, staging);
  const work = drafts.map((d) => (tasks.get(d) ?? []).reduce((n, t) => n + t.flop * t.weight, 0));
  const verdictsBefore = artifactVerdicts(entries, isa);
  const allotted = allot(
    drafts.map((d, i) => ({ flop: work[i]!, weight: 1, untunedMs: verdictsBefore.get(d.moduleKey)?.untunedMs })),
    opts.trials,
  );
  const worker = new BuildWorker(toolchain, { threads: opts.threads });
  let measuredThreads = 0;
  try {
    for (const [i, d] of drafts.entries()) {
      const n = allotted[i]!;
      if (n === 0 || work[i] === 0) continue;
      const label = `${d.cluster}/${d.shapeKey}`;
      const start = artifactCandidates(entries, isa, d.moduleKey);
      const t0 = performance.now();
      const poll = (): void => {
        let now: DbEntry[];
        try {
          now = readTuningDb(opts.db);
        } catch {
          return;
        }
        const done = artifactCandidates(now, isa, d.moduleKey);
        const elapsed = (performance.now() - t0) / 1000;
        const fresh = done - start;
        opts.progress({
          workload: label,
          task: 'ansor',
          index: i,
          workloads: drafts.length,
          done: Math.min(done, n),
          total: n,
          flop: work[i]!,
          ...(fresh > 0 ? { etaSeconds: (elapsed / fresh) * Math.max(0, n - done) } : {}),
        });
      };
      const timer = setInterval(poll, 2000);
      try {
        const r = await worker.tune({
          kind: 'tune',
          id: `tune ${label}`,
          relay: d.relayFile,
          params: paramFilePaths(paramDir(staging, d), d.emitted),
          target: settings.target,
          opt_level: settings.optLevel,
          disable: settings.disableOpts,
          db: path.resolve(opts.db),
          tuner: 'ansor',
          trials: n,
          artifact: d.moduleKey,
          threads: opts.threads,
          launcher: launcherLibrary(),
        });
        if (!r.ok) throw errors.toolchainFailed(`tuning ${label}: ${r.error}${r.log ? ` (log: ${r.log})` : ''}`);
        for (const t of r.tuning) {
          measuredThreads = Math.max(measuredThreads, t.threads);
          if (t.error) opts.warn?.(warnings.ansorBuildFailed(label, t.error));
        }
      } finally {
        clearInterval(timer);
        poll();
      }
    }
  } finally {
    await worker.close();
  }
  const after = readTuningDb(opts.db);
  const verdicts = artifactVerdicts(after, isa);
  const threads = measuredThreads || opts.threads;
  const peak = peakGflops(threads);
  const rows = drafts.map((d, i): TunedWorkload => {
    const v = verdicts.get(d.moduleKey);
    const applied = artifactRecords(v) ? v!.bestMs : (v?.untunedMs ?? null);
    const gflops = applied ? work[i]! / (applied * 1e6) : null;
    return {
      workload: `${d.cluster}/${d.shapeKey}`,
      task: 'ansor',
      weight: 1,
      flop: work[i]!,
      allotted: allotted[i]!,
      candidates: artifactCandidates(after, isa, d.moduleKey),
      untuned_ms: v?.untunedMs ?? null,
      best_ms: v?.bestMs ?? null,
      applied_ms: applied,
      applied: Boolean(artifactRecords(v)),
      gflops,
      peak_pct: gflops === null ? null : (100 * gflops) / peak.gflops,
    };
  });
  const artifacts = drafts.map((d, i): TunedArtifact => {
    const v = verdicts.get(d.moduleKey);
    return {
      artifact: rows[i]!.workload,
      records: v?.lines.length ?? 0,
      untuned_ms: v?.untunedMs ?? null,
      tuned_ms: v?.bestMs ?? null,
      applied: Boolean(artifactRecords(v)),
    };
  });
  return { tuner: 'ansor', isa, trials: opts.trials, threads, peak_gflops: peak.gflops, peak_source: peak.source, workloads: rows, artifacts };
}

export async function tune(req: TuneRequest): Promise<TuneResult> {
  const t0 = performance.now();
  const state = await withModel(req.model, req, (m) =>
    analyzeModel(m.graph, req.shapes, req.cluster, { printAfter: [], verifyIr: false, print: () => undefined }),
  );
  const toolchain = await findToolchain();
  const settings: BuildSettings = {
    target: req.target ?? hostTarget(),
    optLevel: req.optLevel,
    disableOpts: req.disableOpts,
    tvmVersion: await toolchain.tvmVersion(),
    scriptHash: buildScriptHash(),
  };
  const cache = new BuildCache(req.cacheDir);
  const work = mkdtempSync(path.join(os.tmpdir(), 'tf2tvm-tune-'));
  const staging = new Staging(path.join(work, 'out'));
  try {
    const drafts = emitDrafts(state, settings, staging);
    const tuned = await tuneDrafts(drafts, settings, cache, toolchain, staging, req);
    return { db: req.db, target: settings.target, ...tuned, seconds: Math.round((performance.now() - t0) / 100) / 10 };
  } finally {
    staging.discard();
    rmSync(work, { recursive: true, force: true });
  }
}

/** Reads what the worker appended to the database and reports it per workload. */
class DbProgress {
  private offset = 0;
  private readonly done = new Map<string, Set<number>>();
  private readonly best = new Map<string, number>();
  private readonly untuned = new Map<string, number>();
  private readonly t0 = performance.now();
  private measured = 0;

  constructor(
    private readonly db: string,
    private readonly isa: string,
    private readonly workloads: readonly Workload[],
    private readonly allotted: readonly number[],
    private readonly before: ReadonlyMap<string, { readonly candidates: number }>,
    private readonly report: (e: TuneProgress) => void,
  ) {
    try {
      this.offset = statSync(db).size;
    } catch {
      this.offset = 0;
    }
    this.remaining = workloads.reduce((n, w, i) => n + Math.max(0, allotted[i]! - (before.get(w.key)?.candidates ?? 0)), 0);
  }

  private remaining: number;

  poll(): void {
    let text: string;
    try {
      // Only what was appended since the last poll, up to its last complete line.
      const fd = openSync(this.db, 'r');
      try {
        const size = fstatSync(fd).size;
        if (size <= this.offset) return;
        const fresh = Buffer.alloc(size - this.offset);
        readSync(fd, fresh, 0, fresh.length, this.offset);
        const end = fresh.lastIndexOf(10) + 1;
        if (end === 0) return;
        text = fresh.subarray(0, end).toString('utf8');
        this.offset += end;
      } finally {
        closeSync(fd);
      }
    } catch {
      return;
    }
    const touched = new Set<string>();
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      let e: { isa?: string; workload?: string; kind?: string; config?: number; costs?: number[] | null };
      try {
        e = JSON.parse(line) as typeof e;
      } catch {
        continue;
      }
      if (e.isa !== this.isa || typeof e.workload !== 'string') continue;
      const ms = e.costs && e.costs.length ? (e.costs.reduce((a, b) => a + b, 0) / e.costs.length) * 1e3 : undefined;
      if (e.kind === 'untuned') {
        if (ms !== undefined) this.untuned.set(e.workload, ms);
      } else if (typeof e.config === 'number') {
        const set = this.done.get(e.workload) ?? new Set<number>();
        set.add(e.config);
        this.done.set(e.workload, set);
        this.measured++;
        this.remaining = Math.max(0, this.remaining - 1);
        if (ms !== undefined && ms < (this.best.get(e.workload) ?? Infinity)) this.best.set(e.workload, ms);
      }
      touched.add(e.workload);
    }
    const elapsed = (performance.now() - this.t0) / 1000;
    for (const key of touched) {
      const i = this.workloads.findIndex((w) => w.key === key);
      if (i < 0) continue;
      const w = this.workloads[i]!;
      const bestMs = this.best.get(key);
      const untunedMs = this.untuned.get(key);
      this.report({
        workload: key,
        task: w.task,
        index: i,
        workloads: this.workloads.length,
        done: (this.before.get(key)?.candidates ?? 0) + (this.done.get(key)?.size ?? 0),
        total: this.allotted[i]!,
        flop: w.flop,
        ...(bestMs !== undefined ? { bestMs } : {}),
        ...(untunedMs !== undefined ? { untunedMs } : {}),
        ...(this.measured > 0 ? { etaSeconds: (elapsed / this.measured) * this.remaining } : {}),
      });
    }
  }
}
