// --select measured: after the builds, each cluster is timed alone in TVM
// (its bridge op) and in TensorFlow (its subgraph), on the same inputs and
// threads (backends/tf/cluster_timing.py), and only the clusters TVM runs
// faster by the margin, in every shape set, are kept. A cluster that loses is
// split in two (passes/split.ts), the parts built and timed as split, and the
// winning parts kept, down to --select-split-depth levels. Timing-dependent,
// so the one documented exception to byte-identical outputs.

import { rmSync } from 'node:fs';
import { runPythonStep } from '../../backends/python/step.js';
import { projectPath } from '../../ir/support/project.js';
import type { BuiltCluster } from '../../passes/rewrite.js';
import { splitClusters } from '../../passes/split.js';
import type { EncapsulatedState } from '../../passes/state.js';
import type { Staging } from '../output.js';
import type { BuildOutcome } from './build.js';

export interface ClusterTiming {
  readonly cluster: string;
  readonly shapes: string;
  readonly tf_ms?: number;
  readonly tvm_ms?: number;
  readonly speedup?: number;
  /** Runs (of `pairs`) in which TVM was faster, and the sign test's p-value for "TVM is faster". */
  readonly tvm_wins?: number;
  readonly pairs?: number;
  readonly p_faster?: number;
  readonly max_rel_err?: number;
  /** Timed calls in which the bridge op ran its TensorFlow fallback, not TVM. */
  readonly fallback_calls?: number;
  readonly error?: string;
}

export interface SelectionDecision {
  readonly cluster: string;
  readonly keep: boolean;
  readonly why: string;
  readonly timings: readonly ClusterTiming[];
  /** A part of this cluster, split from it because it lost. */
  readonly part_of?: string;
  /** It lost and was split into these parts, each decided on its own. */
  readonly split_into?: readonly string[];
  /** It lost and was not split: why. */
  readonly not_split?: string;
}

export async function timeClusters(model: string, out: string, runs: number, clusters?: readonly string[]): Promise<ClusterTiming[]> {
  const doc = await runPythonStep<{ clusters: ClusterTiming[] }>({
    script: projectPath('backends', 'tf', 'cluster_timing.py'),
    args: [
      '--model',
      model,
      '--out',
      out,
      '--runs',
      String(runs),
      '--warmup',
      String(Math.max(2, Math.floor(runs / 10))),
      '--quiet',
      ...(clusters ? ['--clusters', clusters.join(',')] : []),
    ],
    what: 'cluster timing',
  });
  return doc.clusters;
}

/** The sign test's level: TVM must win clearly more runs than chance would give it. */
export const SELECT_P_VALUE = 0.05;

/**
 * Keep a cluster only if, in every shape set, TVM beats TensorFlow by
 * `margin` (median of the paired tf/tvm ratios) and wins clearly more runs
 * than chance would give it (sign test, p <= SELECT_P_VALUE): on a noisy
 * machine a median just above the margin is not enough.
 */
export function decide(clusters: readonly string[], timings: readonly ClusterTiming[], margin: number): SelectionDecision[] {
  return clusters.map((cluster) => {
    const mine = timings.filter((t) => t.cluster === cluster);
    const bad = mine.find((t) => t.error !== undefined || t.speedup === undefined);
    if (mine.length === 0 || bad) {
      return { cluster, keep: false, why: bad?.error ? `timing failed: ${bad.error}` : 'not timed', timings: mine };
    }
    const wins = (t: ClusterTiming): string =>
      t.pairs !== undefined
        ? `, TVM faster in ${t.tvm_wins}/${t.pairs} runs, p=${t.p_faster! < 1e-3 ? t.p_faster!.toExponential(1) : t.p_faster!.toPrecision(2)}`
        : '';
    const fmt = (t: ClusterTiming): string =>
      `${t.shapes}: TVM ${t.tvm_ms!.toFixed(3)} ms vs TF ${t.tf_ms!.toFixed(3)} ms (${t.speedup!.toFixed(2)}x median of paired runs${wins(t)})`;
    // A timing in which the bridge op fell back timed TensorFlow against itself.
    const fell = mine.find((t) => (t.fallback_calls ?? 0) > 0);
    if (fell)
      return {
        cluster,
        keep: false,
        why: `not timed in TVM: ${fell.fallback_calls} timed calls ran the TensorFlow fallback (${fell.shapes})`,
        timings: mine,
      };
    const slow = mine.find((t) => t.speedup! < 1 + margin);
    if (slow) return { cluster, keep: false, why: `not faster by ${(margin * 100).toFixed(0)}%: ${fmt(slow)}`, timings: mine };
    const unsure = mine.find((t) => t.p_faster !== undefined && t.p_faster > SELECT_P_VALUE);
    if (unsure) return { cluster, keep: false, why: `not clearly faster (sign test p > ${SELECT_P_VALUE}): ${fmt(unsure)}`, timings: mine };
    return { cluster, keep: true, why: mine.map(fmt).join('; '), timings: mine };
  });
}

/** Whether a lost cluster is worth splitting: it was timed in TVM and was slower or not clearly faster. */
function timedAndLost(d: SelectionDecision): boolean {
  return !d.keep && d.timings.length > 0 && d.timings.every((t) => t.error === undefined && t.speedup !== undefined && (t.fallback_calls ?? 0) === 0);
}

/** Builds the named clusters of a (split) state: emit, cache look-up, TVM builds. */
export type BuildParts = (state: EncapsulatedState, clusters: readonly string[]) => Promise<BuildOutcome>;

export interface SelectOptions {
  readonly margin: number;
  /** How many times a lost cluster's parts may be split again (0: never split). */
  readonly splitDepth: number;
  readonly buildParts: BuildParts;
  /** Times the named clusters (all: undefined) of the provisional output (timeClusters). */
  readonly time: (clusters?: readonly string[]) => Promise<ClusterTiming[]>;
  /** Writes the provisional graph with these clusters, for timing. */
  readonly write: (state: EncapsulatedState, clusters: readonly BuiltCluster[]) => void;
}

export interface SelectOutcome {
  /** The state after any splits: split clusters replaced by their parts. */
  readonly state: EncapsulatedState;
  readonly kept: BuiltCluster[];
  /** One per cluster timed, parts after the cluster they came from. */
  readonly decisions: SelectionDecision[];
  /** The parts' builds: reports, failures and counts, to add to the first build's. */
  readonly partBuilds: readonly BuildOutcome[];
}

/**
 * The select stage: time every built cluster from the provisional output in
 * `staging` (written with all of them), keep the winners, split each loser
 * and time its parts (as far as `splitDepth`), and remove the artifacts of
 * whatever lost.
 */
export async function selectMeasured(
  staging: Staging,
  start: EncapsulatedState,
  built: readonly BuiltCluster[],
  opts: SelectOptions,
): Promise<SelectOutcome> {
  let state = start;
  const timed = decide(
    built.map((b) => b.cluster.name),
    await opts.time(),
    opts.margin,
  );
  const decisions: SelectionDecision[] = [...timed];
  const partBuilds: BuildOutcome[] = [];
  const drop = (names: Iterable<string>): void => {
    for (const c of names) rmSync(staging.path('clusters', c), { recursive: true, force: true });
  };
  const lostNames = (ds: readonly SelectionDecision[]): Set<string> => new Set(ds.filter((d) => !d.keep).map((d) => d.cluster));
  let kept = built.filter((b) => !lostNames(timed).has(b.cluster.name));
  drop(lostNames(timed));

  let losers = timed.filter(timedAndLost);
  for (let depth = 0; depth < opts.splitDepth && losers.length > 0; depth++) {
    const split = splitClusters(
      state,
      losers.map((d) => d.cluster),
    );
    for (const d of losers) {
      const at = decisions.indexOf(d);
      const parts = split.parts.get(d.cluster);
      decisions[at] = parts ? { ...d, split_into: parts } : { ...d, not_split: split.kept.get(d.cluster) ?? 'not split' };
    }
    if (split.parts.size === 0) break;
    state = split.state;
    const names = [...split.parts.values()].flat();
    const build = await opts.buildParts(state, names);
    partBuilds.push(build);
    const timedParts = build.clusters.map((b) => b.cluster.name);
    const partOf = new Map([...split.parts].flatMap(([c, ps]) => ps.map((p) => [p, c] as const)));
    const failed = [...build.failed].map(([cluster, f]): SelectionDecision => ({
      cluster,
      keep: false,
      why: `build failed: ${f.error}`,
      timings: [],
      part_of: partOf.get(cluster)!,
    }));
    let partDecisions: SelectionDecision[] = [];
    if (timedParts.length > 0) {
      opts.write(state, [...kept, ...build.clusters]);
      partDecisions = decide(timedParts, await opts.time(timedParts), opts.margin).map((d) => ({
        ...d,
        part_of: partOf.get(d.cluster)!,
      }));
    }
    // Each part right after the cluster it came from.
    for (const d of [...partDecisions, ...failed].reverse()) decisions.splice(decisions.findIndex((x) => x.cluster === d.part_of) + 1, 0, d);
    const lost = lostNames(partDecisions);
    kept = [...kept, ...build.clusters.filter((b) => !lost.has(b.cluster.name))];
    drop(lost);
    losers = partDecisions.filter(timedAndLost);
  }
  // Nothing kept: no empty OUT/clusters either.
  if (kept.length === 0) rmSync(staging.path('clusters'), { recursive: true, force: true });
  // Order the kept clusters as the state lists them (the rewrite and manifest follow it).
  const order = new Map(state.clusters.map((c, i) => [c.name, i]));
  kept.sort((a, b) => order.get(a.cluster.name)! - order.get(b.cluster.name)!);
  return { state, kept, decisions, partBuilds };
}
