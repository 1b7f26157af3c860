// --select measured: after the builds, each cluster is timed alone in TVM
// (its bridge op) and in TensorFlow (its subgraph), on the same inputs and
// threads (backends/tf/cluster_timing.py), and only the clusters TVM runs
// faster by the margin, in every shape set, are kept. Timing-dependent, so the
// one documented exception to byte-identical outputs.

import { rmSync } from 'node:fs';
import { runPythonStep } from '../../backends/python/step.js';
import { projectPath } from '../../ir/support/project.js';
import type { BuiltCluster } from '../../passes/rewrite.js';
import type { Staging } from '../output.js';

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
}

export async function timeClusters(model: string, out: string, runs: number): Promise<ClusterTiming[]> {
  const doc = await runPythonStep<{ clusters: ClusterTiming[] }>({
    script: projectPath('backends', 'tf', 'cluster_timing.py'),
    args: ['--model', model, '--out', out, '--runs', String(runs), '--warmup', String(Math.max(2, Math.floor(runs / 10))), '--quiet'],
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

/**
 * The select stage: time every built cluster from the provisional output in
 * `staging` (written with all of them), keep the winners, and remove the
 * artifacts of the others.
 */
export async function selectMeasured(
  model: string,
  staging: Staging,
  built: readonly BuiltCluster[],
  opts: { readonly runs: number; readonly margin: number },
): Promise<{ kept: BuiltCluster[]; decisions: SelectionDecision[] }> {
  const timings = await timeClusters(model, staging.dir, opts.runs);
  const decisions = decide(
    built.map((b) => b.cluster.name),
    timings,
    opts.margin,
  );
  const lost = new Set(decisions.filter((d) => !d.keep).map((d) => d.cluster));
  for (const c of lost) rmSync(staging.path('clusters', c), { recursive: true, force: true });
  return { kept: built.filter((b) => !lost.has(b.cluster.name)), decisions };
}
