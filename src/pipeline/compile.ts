// The compile driver: read -> validate -> passes -> Relay -> TVM builds ->
// rewrite -> write, as one linear function. Per-run state is explicit.

import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { emitRelay } from '../../backends/relay/emit.js';
import { writeNpy } from '../../backends/relay/npy.js';
import { findToolchain, hostTarget } from '../../backends/tvm/toolchain.js';
import { buildAll, type BuildJob } from '../../backends/tvm/worker.js';
import { rewriteGraph, type BuiltCluster } from '../../passes/rewrite.js';
import { PIPELINE } from '../../passes/index.js';
import { errors, warnings, type Diagnostic } from '../diagnostics.js';
import { encodeGraphDef, readGraphDef } from '../graphdef/io.js';
import { validateGraph } from '../graphdef/validate.js';
import { Staging, sha256File } from '../output.js';
import { projectPath } from '../project.js';
import { resolveShapeSets } from '../shapes.js';
import { GraphView } from '../../ir/tf/graph.js';
import { summarize, type ClusteringSummary } from './analyze.js';
import { runPasses } from './pass-manager.js';
import type { ClusterOptions, State } from './state.js';

export interface CompileRequest {
  readonly model: string;
  readonly out: string;
  readonly shapes: readonly string[];
  readonly cluster: ClusterOptions;
  readonly target?: string;
  readonly optLevel: number;
  readonly strict: boolean;
  readonly jobs: number;
  readonly printAfter: readonly string[];
  readonly verifyIr: boolean;
  readonly print: (pass: string, text: string) => void;
  readonly warn: (d: Diagnostic) => void;
  readonly progress: (line: string) => void;
}

export interface ArtifactReport {
  readonly shapes: string;
  readonly path: string | null;
  readonly status: 'built' | 'failed';
  readonly seconds?: number;
  readonly error?: string;
}

export interface CompileResult extends ClusteringSummary {
  readonly clusters: readonly { name: string; nodes: readonly string[]; artifacts: readonly ArtifactReport[] }[];
  readonly built: number;
  readonly failed: number;
  readonly target: string;
  readonly tvmVersion: string;
  readonly timings: Readonly<Record<string, number>>;
}

/** Front half shared with `inspect`: read, validate, run the passes. */
export async function analyzeModel(
  model: string,
  shapes: readonly string[],
  cluster: ClusterOptions,
  pm: { printAfter: readonly string[]; verifyIr: boolean; print: (pass: string, text: string) => void },
): Promise<State> {
  const graph = await readGraphDef(model);
  validateGraph(graph);
  const view = new GraphView(graph);
  const shapeSets = resolveShapeSets(view, shapes);
  return runPasses(PIPELINE, { graph, view, shapeSets, options: cluster }, { verify: pm.verifyIr, printAfter: pm.printAfter, print: pm.print });
}

function checkOutDir(model: string, out: string): void {
  const m = path.resolve(model);
  const o = path.resolve(out);
  if (m === o || m.startsWith(o + path.sep)) throw errors.outIsInput(out);
}

export async function compile(req: CompileRequest): Promise<CompileResult> {
  const t0 = performance.now();
  const timings: Record<string, number> = {};
  const lap = (name: string, since: number): number => {
    const now = performance.now();
    timings[name] = Math.round(now - since);
    return now;
  };
  checkOutDir(req.model, req.out);
  const state = await analyzeModel(req.model, req.shapes, req.cluster, req);
  let t = lap('passes_ms', t0);

  const toolchain = await findToolchain();
  const target = req.target ?? hostTarget();
  const tvmVersion = await toolchain.tvmVersion();
  const runtimeDir = projectPath('build', 'runtime');
  if (!existsSync(path.join(runtimeDir, 'libtf2tvm_op.so'))) throw errors.runtimeMissing(path.join(runtimeDir, 'libtf2tvm_op.so'));

  const staging = new Staging(req.out);
  try {
    const jobs: (BuildJob & { cluster: string; shapeSet: number; rel: string })[] = [];
    mkdirSync(staging.path('logs'));
    for (const f of state.functions!) {
      const set = state.shapeSets[f.shapeSet]!;
      const relDir = path.join('clusters', f.cluster);
      mkdirSync(staging.path(relDir), { recursive: true });
      const { text, params } = emitRelay(f.fn);
      writeFileSync(staging.path(relDir, `${set.key}.relay`), text);
      const paramDir = staging.path('.build', f.cluster, set.key);
      mkdirSync(paramDir, { recursive: true });
      const paramFiles: Record<string, string> = {};
      for (const p of params) {
        const file = path.join(paramDir, `${p.name}.npy`);
        writeNpy(file, p.type, p.bytes);
        paramFiles[p.name] = file;
      }
      const rel = path.join(relDir, `${set.key}.so`);
      jobs.push({
        id: `${f.cluster}/${set.key}`,
        relay: staging.path(relDir, `${set.key}.relay`),
        params: paramFiles,
        target,
        opt_level: req.optLevel,
        out: staging.path(rel),
        convert_layout: true,
        // Logs of failed builds are kept in OUT/logs (the worker deletes a successful job's log).
        log: staging.path('logs', `${f.cluster}_${set.key}.log`),
        cluster: f.cluster,
        shapeSet: f.shapeSet,
        rel,
      });
    }
    t = lap('emit_ms', t);
    const results = await buildAll(toolchain, jobs, { jobs: req.jobs, onResult: (j, r) => req.progress(`${r.ok ? 'built' : 'FAILED'} ${j.id}${r.ok ? ` in ${r.seconds.toFixed(1)} s` : ''}`) });
    t = lap('tvm_build_ms', t);
    rmSync(staging.path('.build'), { recursive: true, force: true });
    if (readdirSync(staging.path('logs')).length === 0) rmSync(staging.path('logs'), { recursive: true });

    const reports = new Map<string, ArtifactReport[]>();
    const failed = new Map<string, string>();
    const failedLog = new Map<string, string>();
    const built: BuiltCluster[] = [];
    for (const c of state.clusters!) reports.set(c.name, []);
    for (const [i, job] of jobs.entries()) {
      const r = results[i]!;
      const key = state.shapeSets[job.shapeSet]!.key;
      if (r.ok) reports.get(job.cluster)!.push({ shapes: key, path: job.rel, status: 'built', seconds: r.seconds });
      else {
        reports.get(job.cluster)!.push({ shapes: key, path: null, status: 'failed', error: r.error });
        if (!failed.has(job.cluster)) {
          failed.set(job.cluster, r.error);
          failedLog.set(job.cluster, r.log ? path.join(req.out, path.relative(staging.dir, r.log)) : 'none');
        }
      }
    }
    for (const [c, why] of failed) {
      if (req.strict) throw errors.buildFailed(c, `${why} (log: ${failedLog.get(c)})`);
      req.warn(warnings.buildFailedKeptInTf(c, why, failedLog.get(c)!));
      rmSync(staging.path('clusters', c), { recursive: true, force: true });
    }
    for (const c of state.clusters!) {
      if (failed.has(c.name)) continue;
      const artifacts = [];
      for (const job of jobs.filter((j) => j.cluster === c.name)) {
        artifacts.push({ path: job.rel, sha256: await sha256File(staging.path(job.rel)), shapeSet: job.shapeSet });
      }
      built.push({ cluster: c, artifacts });
    }
    const rewritten = rewriteGraph(state, built, { tvmVersion, target });
    writeFileSync(staging.path('model.pb'), encodeGraphDef(rewritten));
    mkdirSync(staging.path('runtime'));
    for (const f of ['libtf2tvm_op.so', 'libtvm_runtime.so']) copyFileSync(path.join(runtimeDir, f), staging.path('runtime', f));
    copyFileSync(projectPath('runtime', 'tf2tvm_runtime.py'), staging.path('runtime', 'tf2tvm_runtime.py'));

    const kept = new Set(built.map((b) => b.cluster.name));
    const summary = summarize(state, kept, failed);
    const clusters = state.clusters!
      .filter((c) => kept.has(c.name))
      .map((c) => ({ name: c.name, nodes: c.nodes, artifacts: reports.get(c.name)! }));
    const manifest = {
      tf2tvm: 1,
      model: path.basename(req.model),
      target,
      tvm_version: tvmVersion,
      shape_sets: state.shapeSets.map((s) => ({ key: s.key, shapes: Object.fromEntries(s.shapes) })),
      clusters: built.map((b) => ({
        name: b.cluster.name,
        nodes: b.cluster.nodes,
        inputs: b.cluster.inputs.map((x) => `${x.node}:${x.index}`),
        outputs: b.cluster.outputs.map((x) => `${x.node}:${x.index}`),
        artifacts: b.artifacts.map((a) => ({ shapes: state.shapeSets[a.shapeSet]!.key, path: a.path, sha256: a.sha256 })),
      })),
      failed: [...failed].map(([name, error]) => ({ name, error })),
    };
    writeFileSync(staging.path('manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    staging.commit();
    lap('write_ms', t);
    timings.total_ms = Math.round(performance.now() - t0);
    const builtCount = [...reports.values()].flat().filter((a) => a.status === 'built').length;
    return { ...summary, clusters, built: builtCount, failed: failed.size, target, tvmVersion, timings };
  } finally {
    staging.discard();
  }
}
