// The tuning database as the driver reads it (backends/tvm/tuning_db.py
// writes it and documents the line format): which records a build applies,
// and what a tune has already done. A workload's best candidate is applied
// only where it beat the untuned schedule, measured the same way, and only to
// targets of the ISA it was tuned for (the target's -mcpu): TVM's own record
// matching looks at target keys, never at -mcpu.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { errors } from '../../ir/support/diagnostics.js';

export interface DbEntry {
  readonly v: 1;
  readonly tuner: string;
  readonly isa: string;
  readonly workload: string;
  /** AutoTVM: untuned, candidate, verdict; the auto-scheduler: record (a candidate), artifact (a verdict). */
  readonly kind: 'untuned' | 'candidate' | 'verdict' | 'record' | 'artifact';
  readonly config: number;
  readonly costs: readonly number[] | null;
  readonly threads: number;
  readonly flop: number;
  readonly record?: string;
  /** Verdicts: the untuned schedule's times, taken in alternation with `costs` (the best's). */
  readonly untuned_costs?: readonly number[];
  /** Auto-scheduler records: the artifact (cache key without tuning) whose tune measured it. */
  readonly artifact?: string;
  /** Artifact verdicts: the record lines the tuned build applied. */
  readonly records?: readonly string[];
  /** Verdicts: the rule they were taken under (VERDICT_RULE: the search kept the untuned layout). */
  readonly rule?: number;
}

/**
 * Workload verdicts are used only when taken under this rule: the search kept
 * the untuned schedule's channel blocking (tuning_db.py's keeps_layout).
 * Older ones may be of a candidate that changes the layout between operators.
 */
export const VERDICT_RULE = 2;

/** How much faster than untuned, in the alternating verdict, a record must be to be applied. */
export const APPLY_MARGIN = 0.03;

/** Every complete entry of the database; a missing file is an empty database. */
export function readTuningDb(file: string): DbEntry[] {
  if (!existsSync(file)) return [];
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw errors.badTuningDb(file, (e as Error).message);
  }
  const lines = text.split('\n');
  // The last piece is '' after a final newline, or a line cut short by a kill.
  lines.pop();
  const out: DbEntry[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let e: unknown;
    try {
      e = JSON.parse(line);
    } catch {
      throw errors.badTuningDb(file, `line ${i + 1} is not JSON`);
    }
    if (!isEntry(e)) throw errors.badTuningDb(file, `line ${i + 1} is not a tuning record of format 1`);
    out.push(e);
  });
  return out;
}

function isEntry(e: unknown): e is DbEntry {
  if (typeof e !== 'object' || e === null) return false;
  const o = e as Record<string, unknown>;
  const costsOk = o.costs === null || (Array.isArray(o.costs) && o.costs.every((c) => typeof c === 'number' && Number.isFinite(c) && c > 0));
  return (
    o.v === 1 &&
    typeof o.tuner === 'string' &&
    typeof o.isa === 'string' &&
    typeof o.workload === 'string' &&
    (o.kind === 'untuned' || o.kind === 'candidate' || o.kind === 'verdict' || o.kind === 'record' || o.kind === 'artifact') &&
    typeof o.config === 'number' &&
    costsOk &&
    ((o.kind !== 'candidate' && o.kind !== 'record') || typeof o.record === 'string') &&
    (o.kind !== 'artifact' || (Array.isArray(o.records) && o.records.length > 0 && o.records.every((r) => typeof r === 'string'))) &&
    ((o.kind !== 'verdict' && o.kind !== 'artifact') ||
      (Array.isArray(o.costs) &&
        Array.isArray(o.untuned_costs) &&
        o.untuned_costs.length > 0 &&
        o.untuned_costs.every((c) => typeof c === 'number' && c > 0)))
  );
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface WorkloadState {
  readonly untunedMs?: number;
  /** The alternating comparison of the best candidate with the untuned schedule, if taken. */
  readonly verdict?: { readonly untunedMs: number; readonly bestMs: number };
  /** The fastest candidate that built and ran. */
  readonly best?: { readonly ms: number; readonly record: string; readonly config: number };
  /** Candidates recorded (failed ones included). */
  readonly candidates: number;
  /** The record a build applies: the candidate of the fastest verdict that beat untuned by the margin. */
  readonly applied?: string;
}

/** Per workload of one ISA and tuner: untuned time, best candidate, candidates so far. */
export function workloadStates(entries: readonly DbEntry[], isa: string, tuner = 'autotvm'): Map<string, WorkloadState> {
  interface Acc {
    untunedMs?: number;
    best?: WorkloadState['best'];
    seen: Set<number>;
    verdicts: Map<number, { untunedMs: number; bestMs: number }>;
    records: Map<number, string>;
  }
  const acc = new Map<string, Acc>();
  for (const e of entries) {
    if (e.isa !== isa || e.tuner !== tuner) continue;
    const w: Acc = acc.get(e.workload) ?? { seen: new Set<number>(), verdicts: new Map(), records: new Map() };
    acc.set(e.workload, w);
    if (e.kind === 'untuned') {
      if (w.untunedMs === undefined && e.costs) w.untunedMs = median(e.costs) * 1e3;
      continue;
    }
    if (e.kind === 'verdict') {
      if (e.costs && e.untuned_costs && e.rule === VERDICT_RULE)
        w.verdicts.set(e.config, { untunedMs: median(e.untuned_costs) * 1e3, bestMs: median(e.costs) * 1e3 });
      continue;
    }
    if (e.kind !== 'candidate') continue;
    w.seen.add(e.config);
    if (e.record) w.records.set(e.config, e.record);
    if (!e.costs) continue;
    const ms = median(e.costs) * 1e3;
    if (!w.best || ms < w.best.ms || (ms === w.best.ms && e.config < w.best.config)) w.best = { ms, record: e.record!, config: e.config };
  }
  const out = new Map<string, WorkloadState>();
  for (const [k, w] of acc) {
    // The fastest verdict that won (as tuning_db.py's applied_records), else the best candidate's.
    let verdict: { untunedMs: number; bestMs: number; record: string } | undefined;
    for (const [config, v] of w.verdicts) {
      const record = w.records.get(config);
      if (!record || !(v.bestMs < v.untunedMs * (1 - APPLY_MARGIN))) continue;
      if (!verdict || v.bestMs < verdict.bestMs) verdict = { ...v, record };
    }
    const shown = verdict ?? (w.best ? w.verdicts.get(w.best.config) : undefined);
    out.set(k, {
      ...(w.untunedMs !== undefined ? { untunedMs: w.untunedMs } : {}),
      ...(w.best ? { best: w.best } : {}),
      ...(shown ? { verdict: { untunedMs: shown.untunedMs, bestMs: shown.bestMs } } : {}),
      ...(verdict ? { applied: verdict.record } : {}),
      candidates: w.seen.size,
    });
  }
  return out;
}

export interface AppliedRecords {
  /** Whose records they are: AutoTVM's (per workload) or the auto-scheduler's (the whole artifact). */
  readonly tuner: 'autotvm' | 'ansor';
  /** The log lines to apply: AutoTVM's, one per workload that gains, in workload order; the auto-scheduler's as its verdict timed them. */
  readonly lines: readonly string[];
  /** Hash of those lines: part of the artifact's cache key. */
  readonly hash: string;
}

/** Whether a workload's best candidate is applied: its verdict beat untuned by the margin. */
export function gains(s: WorkloadState | undefined): boolean {
  return Boolean(s?.applied);
}

/**
 * The records a build of an artifact with these workloads applies: for each
 * workload, its best candidate if, timed in alternation with the untuned
 * schedule, it was faster by the margin. None when no workload gains (the
 * artifact is then the untuned one).
 */
export function recordsFor(states: ReadonlyMap<string, WorkloadState>, workloads: readonly string[]): AppliedRecords | undefined {
  const lines: string[] = [];
  for (const w of [...new Set(workloads)].sort()) {
    const s = states.get(w);
    if (s?.applied) lines.push(s.applied);
  }
  if (lines.length === 0) return undefined;
  const hash = createHash('sha256').update(lines.join('\n')).digest('hex');
  return { tuner: 'autotvm', lines, hash };
}

/** An artifact's latest auto-scheduler verdict: its build with `lines` against the untuned build, timed in alternation. */
export interface ArtifactVerdict {
  readonly untunedMs: number;
  readonly bestMs: number;
  readonly lines: readonly string[];
}

/** The latest artifact verdict of each artifact (by its module key) of one ISA and tuner. */
export function artifactVerdicts(entries: readonly DbEntry[], isa: string, tuner: 'autotvm' | 'ansor' = 'ansor'): Map<string, ArtifactVerdict> {
  const out = new Map<string, ArtifactVerdict>();
  for (const e of entries) {
    if (e.isa !== isa || e.tuner !== tuner || e.kind !== 'artifact' || !e.costs || !e.untuned_costs || !e.records) continue;
    out.set(e.workload, { untunedMs: median(e.untuned_costs) * 1e3, bestMs: median(e.costs) * 1e3, lines: e.records });
  }
  return out;
}

/**
 * The auto-scheduler records an artifact applies: those its latest verdict
 * timed, where that build beat the untuned artifact by the margin. The
 * auto-scheduler's records switch the whole build (an operator without one
 * gets a naive schedule), so the rule is per artifact, not per workload.
 */
export function artifactRecords(v: ArtifactVerdict | undefined): AppliedRecords | undefined {
  return wins(v)
    ? {
        tuner: 'ansor',
        lines: v!.lines,
        hash: createHash('sha256')
          .update(`ansor\n${v!.lines.join('\n')}`)
          .digest('hex'),
      }
    : undefined;
}

/** Whether an artifact verdict's tuned build beat the untuned one by the margin. */
export function wins(v: ArtifactVerdict | undefined): boolean {
  return Boolean(v && v.bestMs < v.untunedMs * (1 - APPLY_MARGIN));
}

/**
 * AutoTVM's records for an artifact (recordsFor) are applied only where its
 * artifact verdict, taken on exactly these lines, won: a record that wins
 * alone can lose in the graph (another implementation chosen, a fusion lost).
 */
export function judged(records: AppliedRecords | undefined, v: ArtifactVerdict | undefined): AppliedRecords | undefined {
  if (!records || !v || !wins(v)) return undefined;
  return v.lines.length === records.lines.length && v.lines.every((l, i) => l === records.lines[i]) ? records : undefined;
}

/** The ISA a target is tuned for: its -mcpu (and -mattr), as tuning_db.py's target_isa. */
export function targetIsa(target: string): string {
  const mcpu = /(?:^|\s)-mcpu=(\S+)/.exec(target)?.[1] ?? 'generic';
  const mattr = /(?:^|\s)-mattr=(\S+)/.exec(target)?.[1];
  return mattr ? `${mcpu}+${mattr.split(',').sort().join(',')}` : mcpu;
}
