// --select measured: after the builds, each cluster is timed alone in TVM
// (its bridge op) and in TensorFlow (its subgraph), on the same inputs and
// threads (src/python/cluster_timing.py), and only the clusters TVM runs
// faster by the margin, in every shape set, are kept. Timing-dependent, so the
// one documented exception to byte-identical outputs.

import { execa } from 'execa';
import { findToolchain } from '../../backends/tvm/toolchain.js';
import { errors } from '../diagnostics.js';
import { projectPath } from '../project.js';

export interface ClusterTiming {
  readonly cluster: string;
  readonly shapes: string;
  readonly tf_ms?: number;
  readonly tvm_ms?: number;
  readonly speedup?: number;
  readonly max_rel_err?: number;
  readonly error?: string;
}

export interface SelectionDecision {
  readonly cluster: string;
  readonly keep: boolean;
  readonly why: string;
  readonly timings: readonly ClusterTiming[];
}

export async function timeClusters(model: string, out: string, runs: number): Promise<ClusterTiming[]> {
  const tc = await findToolchain();
  const script = projectPath('src', 'python', 'cluster_timing.py');
  const args = [script, '--model', model, '--out', out, '--runs', String(runs), '--warmup', String(Math.max(2, Math.floor(runs / 10))), '--quiet'];
  const r = await execa(tc.python, args, { env: tc.env(), reject: false, stdin: 'ignore' });
  if (r.exitCode !== 0) throw errors.toolchainFailed(`cluster timing exited ${r.exitCode}: ${String(r.stderr).split('\n').slice(-5).join(' ')}`);
  return (JSON.parse(String(r.stdout)) as { clusters: ClusterTiming[] }).clusters;
}

/** Keep a cluster only if TVM beats TensorFlow by `margin` in every shape set. */
export function decide(clusters: readonly string[], timings: readonly ClusterTiming[], margin: number): SelectionDecision[] {
  return clusters.map((cluster) => {
    const mine = timings.filter((t) => t.cluster === cluster);
    const bad = mine.find((t) => t.error !== undefined || t.speedup === undefined);
    if (mine.length === 0 || bad) {
      return { cluster, keep: false, why: bad?.error ? `timing failed: ${bad.error}` : 'not timed', timings: mine };
    }
    const slow = mine.find((t) => t.speedup! < 1 + margin);
    const fmt = (t: ClusterTiming): string =>
      `${t.shapes}: TVM ${t.tvm_ms!.toFixed(3)} ms vs TF ${t.tf_ms!.toFixed(3)} ms (${t.speedup!.toFixed(2)}x, median of paired runs)`;
    return slow
      ? { cluster, keep: false, why: `not faster by ${(margin * 100).toFixed(0)}%: ${fmt(slow)}`, timings: mine }
      : { cluster, keep: true, why: mine.map(fmt).join('; '), timings: mine };
  });
}
