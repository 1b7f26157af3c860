// The write stage: into the staging folder, the runtime the rewritten graph
// needs (op library, TVM runtime, loader), the rewritten GraphDef and the
// manifest; and, after the commit, the depfile for build systems.

import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { encodeGraphDef } from '../../ir/tf/graphdef/io.js';
import { projectPath } from '../../ir/support/project.js';
import { rewriteGraph, type BuiltCluster } from '../../passes/rewrite.js';
import type { TypedState } from '../../passes/state.js';
import { emitOnnx, OnnxUnsupported } from '../../backends/onnx/emit.js';
import { writeGraphText } from '../../backends/tf/graph-text.js';
import { warnings, type Diagnostic } from '../../ir/support/diagnostics.js';
import { VERSION } from '../../ir/support/project.js';
import type { EncapsulatedState } from '../../passes/state.js';
import { writeSavedModel } from '../../backends/tf/saved-model.js';
import type { Frozen } from '../../backends/tf/freeze.js';
import type { ModelFormat, PreparedModel } from '../model-input.js';
import type { Staging } from '../output.js';
import type { SelectionDecision } from './select.js';

export const RUNTIME_LIBRARIES = ['libtf2tvm_op.so', 'libtvm_runtime.so'] as const;

/** The op library's record of the TensorFlow version and C++ ABI it was built against (runtime/build.sh). */
export const OP_LIBRARY_RECORD = 'libtf2tvm_op.json';

/**
 * OUT/runtime/: the op library (with its version record) and TVM runtime
 * from `runtimeDir`, the loader, and the saved_model_cli wrapper.
 */
export function writeRuntime(staging: Staging, runtimeDir: string): void {
  mkdirSync(staging.path('runtime'));
  for (const f of [...RUNTIME_LIBRARIES, OP_LIBRARY_RECORD]) copyFileSync(path.join(runtimeDir, f), staging.path('runtime', f));
  copyFileSync(projectPath('runtime', 'tf2tvm_runtime.py'), staging.path('runtime', 'tf2tvm_runtime.py'));
  copyFileSync(projectPath('runtime', 'saved_model_cli'), staging.path('runtime', 'saved_model_cli'));
  chmodSync(staging.path('runtime', 'saved_model_cli'), 0o755);
  // OUT/logs holds failed builds' logs only.
  if (existsSync(staging.path('logs')) && readdirSync(staging.path('logs')).length === 0) rmSync(staging.path('logs'), { recursive: true });
}

export interface GraphOutput {
  /** The model's file name, as the manifest records it. */
  readonly model: string;
  /** A model frozen from another format: which, and its inputs' and outputs' names. */
  readonly source?: { readonly format: ModelFormat; readonly frozen: Frozen };
  readonly target: string;
  readonly tvmVersion: string;
  /** Artifact path -> the tuning records it applies (paths relative to OUT). */
  readonly tuningLogs?: ReadonlyMap<string, string>;
  /** The tuning database the records came from, and --tune's budget. */
  readonly tuning?: { readonly db: string; readonly trials?: number };
  readonly failed: ReadonlyMap<string, { readonly error: string }>;
  /** Write each cluster's subgraph as the bridge op's fallback function (default true). */
  readonly fallback?: boolean;
  /** Told about each cluster that gets no fallback function. */
  readonly noFunction?: (cluster: string, why: string) => void;
  readonly selection?: { readonly margin: number; readonly clusters: readonly SelectionDecision[] };
}

/** OUT/model.pb with `clusters` replaced by bridge nodes, and OUT/manifest.json. */
export function writeGraph(staging: Staging, state: TypedState, clusters: readonly BuiltCluster[], o: GraphOutput): void {
  writeFileSync(
    staging.path('model.pb'),
    encodeGraphDef(
      rewriteGraph(state, clusters, {
        tvmVersion: o.tvmVersion,
        target: o.target,
        ...(o.fallback !== undefined ? { fallback: o.fallback } : {}),
        ...(o.noFunction ? { noFunction: o.noFunction } : {}),
      }),
    ),
  );
  const manifest = {
    tf2tvm: 1,
    model: o.model,
    ...(o.source ? { source: sourceRecord(o.source.format, o.source.frozen) } : {}),
    target: o.target,
    tvm_version: o.tvmVersion,
    shape_sets: state.shapeSets.map((s) => ({ key: s.key, shapes: Object.fromEntries(s.shapes) })),
    clusters: clusters.map((b) => ({
      name: b.cluster.name,
      nodes: b.cluster.nodes,
      inputs: b.cluster.inputs.map((x) => `${x.node}:${x.index}`),
      outputs: b.cluster.outputs.map((x) => `${x.node}:${x.index}`),
      artifacts: b.artifacts.map((a) => ({
        shapes: state.shapeSets[a.shapeSet]!.key,
        path: a.path,
        sha256: a.sha256,
        ...(a.threads !== undefined ? { threads: a.threads } : {}),
        ...(o.tuningLogs?.has(a.path) ? { tuning_log: o.tuningLogs.get(a.path) } : {}),
      })),
    })),
    failed: [...o.failed].map(([name, f]) => ({ name, error: f.error })),
    ...(o.tuning ? { tuning: { db: o.tuning.db, ...(o.tuning.trials ? { trials: o.tuning.trials } : {}) } } : {}),
    ...(o.selection ? { selection: { mode: 'measured', margin: o.selection.margin, clusters: o.selection.clusters } } : {}),
  };
  writeFileSync(staging.path('manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
}

/** The manifest's record of a frozen model: format, signature, inputs and outputs by name. */
function sourceRecord(format: ModelFormat, f: Frozen): object {
  return {
    format,
    ...(f.signature !== undefined ? { signature: f.signature, tags: f.tags } : {}),
    inputs: f.inputs.map((x) => ({ key: x.key, placeholder: x.placeholder, dtype: x.dtype, shape: x.shape })),
    outputs: f.outputs.map((x) => ({ key: x.key, tensor: x.tensor })),
  };
}

/** The outputs a model's own format asks for (OUT/saved_model for a SavedModel), and OUT/model.pbtxt on request. */
export async function writeModelFormats(staging: Staging, model: PreparedModel, o: { pbtxt?: boolean } = {}): Promise<void> {
  if (o.pbtxt) await writeGraphText(staging.path('model.pb'), staging.path('model.pbtxt'));
  const f = model.frozen;
  if (model.format === 'saved_model' && f?.signature !== undefined) {
    await writeSavedModel(staging.dir, { signature: f.signature, inputs: f.inputs, outputs: f.outputs });
  }
}

/** The files of a model: itself, or every file under a SavedModel folder (sorted). */
function modelFiles(model: string): string[] {
  if (!statSync(model).isDirectory()) return [model];
  return readdirSync(model, { recursive: true, encoding: 'utf8' })
    .map((f) => path.join(model, f))
    .filter((f) => statSync(f).isFile())
    .sort();
}

/**
 * compile --emit onnx: each kept cluster's function per shape set as
 * OUT/clusters/<cluster>/<shape-key>.onnx; a function ONNX cannot express is
 * left out with warning TF2TVM3110. Returns the files written (relative to OUT).
 */
export function writeOnnx(staging: Staging, state: EncapsulatedState, kept: ReadonlySet<string>, warn: (d: Diagnostic) => void): string[] {
  const written: string[] = [];
  for (const f of state.functions) {
    if (!kept.has(f.cluster)) continue;
    const rel = path.join('clusters', f.cluster, `${state.shapeSets[f.shapeSet]!.key}.onnx`);
    let bytes: Uint8Array;
    try {
      bytes = emitOnnx(f.fn, VERSION);
    } catch (e) {
      if (!(e instanceof OnnxUnsupported)) throw e;
      warn(warnings.onnxUnsupported(f.cluster, state.shapeSets[f.shapeSet]!.key, e.message));
      continue;
    }
    mkdirSync(path.dirname(staging.path(rel)), { recursive: true });
    writeFileSync(staging.path(rel), bytes);
    written.push(rel);
  }
  return written;
}

/** A make depfile: OUT/model.pb depends on the model (every file of a SavedModel) and the toolchain pins. */
export function writeDepfile(file: string, out: string, model: string): void {
  const esc = (p: string): string => p.replace(/([ #$])/g, '\\$1');
  const deps = [...modelFiles(model), projectPath('scripts', 'toolchain', 'pins.txt'), projectPath('scripts', 'toolchain', 'constraints.txt')];
  writeFileSync(file, `${esc(path.join(out, 'model.pb'))}: ${deps.map((d) => esc(path.resolve(d))).join(' ')}\n`);
}
