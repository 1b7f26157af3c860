// tf2tvm bench MODEL OUT: the original graph in TensorFlow, the same with XLA
// JIT, and the rewritten graph with its bridge ops, timed in one TF-only
// process on the same inputs and thread settings; then each cluster alone
// (backends/tf/bench.py, backends/tf/cluster_timing.py).

import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { runPythonStep } from '../../../backends/python/step.js';
import { errors } from '../../../ir/support/diagnostics.js';
import { projectPath } from '../../../ir/support/project.js';
import { printJson, runCommand } from '../output.js';
import { addModelOptions, modelSelection, nonNegativeNumber, positiveInt, type ModelFlags } from '../options.js';
import { modelFormat, withModel } from '../../model-input.js';

export interface ClusterTiming {
  cluster: string;
  shapes: string;
  nodes: number;
  inputs?: string;
  tf_ms?: number;
  tvm_ms?: number;
  /** Median over back-to-back runs of tf/tvm, with its 10th/90th percentiles. */
  speedup?: number | null;
  speedup_p10?: number | null;
  speedup_p90?: number | null;
  tvm_wins?: number;
  pairs?: number;
  p_faster?: number;
  saved_ms?: number;
  max_rel_err?: number;
  tf_p10_ms?: number;
  tf_p90_ms?: number;
  tvm_p10_ms?: number;
  tvm_p90_ms?: number;
  error?: string;
}

interface Timings {
  tf_ms: number | null;
  tf_p10_ms: number | null;
  tf_p90_ms: number | null;
  xla_ms: number | null;
  xla_p10_ms: number | null;
  xla_p90_ms: number | null;
  tf2tvm_ms: number | null;
  tf2tvm_p10_ms: number | null;
  tf2tvm_p90_ms: number | null;
  speedup_vs_tf: number | null;
  speedup_vs_xla: number | null;
  xla_vs_tf: number | null;
  max_rel_err: { tf2tvm: number | null; xla: number | null; compare?: number | null } | null;
  /** With --compare: the second output, timed interleaved with the first. */
  compare_ms?: number | null;
  compare_p10_ms?: number | null;
  compare_p90_ms?: number | null;
  compare_vs_tf?: number | null;
  /** Median over runs of (first output's time / second's): above 1, the second is faster. */
  compare_vs_tf2tvm?: number | null;
}

export interface BenchReport extends Timings {
  ok: boolean;
  model: string;
  out: string;
  runs: number;
  /** --min-time: seconds each variant's timed calls add up to at least (0: exactly `runs` calls). */
  min_time: number;
  warmup: number;
  threads: { tf_intra_op: number; tf_inter_op: number; tvm: number };
  cpu: string | null;
  tensorflow: string;
  xla: { available: boolean; compiled_clusters: number; reason: string | null };
  outputs: string[];
  /** `runs`: the calls timed per variant for this shape set (more than --runs under --min-time). */
  shape_sets: (Partial<Timings> & { key: string; runs?: number; error?: string })[];
  clusters: ClusterTiming[];
  /** The --compare output folder. */
  compare?: string;
}

interface Flags extends ModelFlags {
  runs: number;
  minTime: number;
  warmup: number;
  threads?: number;
  clusterRuns?: number;
  clusters: boolean;
  seed: number;
  compare?: string;
  json?: boolean;
}

/**
 * A SavedModel (or Keras file, or text GraphDef) is benchmarked as the graph
 * it freezes to, against OUT/model.pb: the graph OUT/saved_model serves.
 */
export async function bench(model: string, out: string, o: Flags): Promise<BenchReport> {
  let manifest: { source?: { signature?: string; tags?: string[] } } = {};
  for (const dir of [out, ...(o.compare ? [o.compare] : [])]) {
    try {
      const doc = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as typeof manifest;
      if (dir === out) manifest = doc;
    } catch {
      throw errors.badOutDir(dir, 'no readable manifest.json: is this a tf2tvm compile output?');
    }
  }
  const recorded = modelFormat(model) === 'saved_model' ? manifest.source : undefined;
  const sel = {
    ...(recorded?.signature !== undefined ? { signature: recorded.signature } : {}),
    ...(recorded?.tags !== undefined ? { tags: recorded.tags } : {}),
    ...modelSelection(o),
  };
  return withModel(model, sel, async (m) => ({ ...(await benchGraph(m.graph, out, o)), model }));
}

async function benchGraph(model: string, out: string, o: Flags): Promise<BenchReport> {
  const threads = o.threads ?? os.availableParallelism();
  const args = [
    '--model',
    model,
    '--out',
    out,
    '--runs',
    String(o.runs),
    '--warmup',
    String(o.warmup),
    '--threads',
    String(threads),
    '--seed',
    String(o.seed),
    ...(o.clusterRuns ? ['--cluster-runs', String(o.clusterRuns)] : []),
    ...(o.minTime > 0 ? ['--min-time', String(o.minTime)] : []),
    ...(o.clusters ? [] : ['--no-clusters']),
    ...(o.compare ? ['--compare', o.compare] : []),
  ];
  // Progress lines of the Python side go straight to the user; the rest of
  // its stderr (TensorFlow's chatter) only into an error report.
  return runPythonStep<BenchReport>({
    script: projectPath('backends', 'tf', 'bench.py'),
    args,
    what: 'benchmark',
    threads,
    progress: /^(bench|cluster_timing): /,
  });
}

const ms = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : v < 10 ? v.toFixed(3) : v.toFixed(1));
const times = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : `${v.toFixed(2)}x`);
const sci = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : v.toExponential(1));

/** Columns: the first `left` left-aligned, the rest right-aligned. */
function pad(cells: string[], widths: number[], left = 1): string {
  return cells
    .map((c, i) => (i < left ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
    .join('  ')
    .trimEnd();
}

function benchTable(r: BenchReport): string {
  const lines: string[] = [];
  const t = r.threads;
  lines.push(`model ${r.model}, output ${r.out}`);
  lines.push(
    `${r.cpu ?? 'unknown CPU'}; TensorFlow ${r.tensorflow}; threads: TF intra-op ${t.tf_intra_op}, inter-op ${t.tf_inter_op}; TVM ${t.tvm} (on TF's intra-op pool)`,
  );
  const timed = r.min_time > 0 ? `${r.runs} runs or more until ${r.min_time} s per variant` : `${r.runs} runs`;
  lines.push(`${timed} after ${r.warmup} warm-up, interleaved; ms per call: median (p10-p90)`);
  if (!r.xla.available) lines.push(`XLA: not measured (${r.xla.reason ?? 'unavailable'})`);
  for (const s of r.shape_sets) {
    lines.push('');
    if (s.error) {
      lines.push(`shapes ${s.key}: FAILED: ${s.error}`);
      continue;
    }
    const label = `shapes ${s.key}${r.min_time > 0 && s.runs !== undefined ? ` (${s.runs} runs)` : ''}`;
    const w = [Math.max(12, label.length), 8, 17, 7, 11];
    lines.push(pad([label, 'median', 'p10-p90', 'vs TF', 'max rel err'], w));
    const row = (label: string, m?: number | null, p10?: number | null, p90?: number | null, err?: number | null): string =>
      pad(
        [
          label,
          ms(m),
          m === null || m === undefined ? '-' : `${ms(p10)}-${ms(p90)}`,
          times(m ? (s.tf_ms ?? 0) / m : null),
          err === undefined ? '' : sci(err),
        ],
        w,
      );
    lines.push(row('TensorFlow', s.tf_ms, s.tf_p10_ms, s.tf_p90_ms));
    lines.push(row('TF + XLA JIT', s.xla_ms, s.xla_p10_ms, s.xla_p90_ms, s.max_rel_err?.xla ?? null));
    lines.push(row('tf2tvm', s.tf2tvm_ms, s.tf2tvm_p10_ms, s.tf2tvm_p90_ms, s.max_rel_err?.tf2tvm ?? null));
    if (r.compare) {
      lines.push(row('--compare', s.compare_ms, s.compare_p10_ms, s.compare_p90_ms, s.max_rel_err?.compare ?? null));
      lines.push(`--compare vs tf2tvm: ${times(s.compare_vs_tf2tvm)} (median of paired runs; above 1: ${r.compare} is faster)`);
    }
    if (s.speedup_vs_xla !== null && s.speedup_vs_xla !== undefined) lines.push(`tf2tvm vs XLA: ${times(s.speedup_vs_xla)}`);
  }
  if (r.clusters.length) {
    lines.push('');
    lines.push('each cluster alone (its TF subgraph vs its bridge op):');
    const w = [Math.max(7, ...r.clusters.map((c) => c.cluster.length)), Math.max(6, ...r.clusters.map((c) => c.shapes.length)), 5, 9, 9, 7, 11];
    lines.push(pad(['cluster', 'shapes', 'nodes', 'TF ms', 'TVM ms', 'speedup', 'max rel err'], w, 2));
    for (const c of r.clusters) {
      if (c.error) lines.push(`${pad([c.cluster, c.shapes, String(c.nodes)], w.slice(0, 3), 2)}  FAILED: ${c.error.split('\n')[0]}`);
      else lines.push(pad([c.cluster, c.shapes, String(c.nodes), ms(c.tf_ms), ms(c.tvm_ms), times(c.speedup), sci(c.max_rel_err)], w, 2));
    }
  }
  return lines.join('\n') + '\n';
}

export function registerBench(program: Command): void {
  addModelOptions(
    program
      .command('bench')
      .description('time the original graph in TensorFlow, with XLA JIT, and the rewritten graph; then each cluster alone')
      .argument('<model>', 'the original model: frozen GraphDef (.pb, .pbtxt), SavedModel folder (its frozen signature) or Keras file')
      .argument('<out>', 'the output folder of tf2tvm compile'),
  )
    .option('--runs <n>', 'timed calls per variant', positiveInt, 50)
    .option('--warmup <n>', 'untimed calls per variant first', (v) => (v === '0' ? 0 : positiveInt(v)), 5)
    .option('--threads <n>', 'TF intra-op threads = TVM threads (default: the number of cores); TF inter-op threads are 1', positiveInt)
    .option('--cluster-runs <n>', 'timed calls per cluster (default: --runs)', positiveInt)
    .option(
      '--min-time <s>',
      'go on past --runs until each variant has been timed for S seconds (at most 100 x --runs): steady medians for sub-millisecond graphs',
      nonNegativeNumber,
      0,
    )
    .option('--no-clusters', 'skip timing each cluster alone')
    .option('--seed <n>', 'seed of the random inputs', (v) => Number(v), 0)
    .option('--compare <out2>', 'also time a second output folder of the same model (another build of it), interleaved with OUT')
    .option('--json', 'print one JSON document on stdout')
    .action(async (model: string, out: string, o: Flags) => {
      await runCommand(Boolean(o.json), async () => {
        const r = await bench(model, out, o);
        if (o.json) printJson(r);
        else process.stdout.write(benchTable(r));
        if (!r.ok) {
          const failed = [
            ...r.shape_sets.filter((s) => s.error).map((s) => `shapes ${s.key}`),
            ...r.clusters.filter((c) => c.error).map((c) => `${c.cluster} (${c.shapes})`),
          ];
          const e = errors.toolchainFailed(`benchmark incomplete: ${failed.join(', ')} failed`);
          process.stderr.write(`error ${e.code}: ${e.message}\n`);
          return e.exitCode;
        }
        return 0;
      });
    });
}
