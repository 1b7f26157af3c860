// tf2tvm verify MODEL OUT: the rewritten graph against the original, in
// TensorFlow, on the same random inputs, for every compiled shape set.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { runPythonStep } from '../../../backends/python/step.js';
import { errors } from '../../../ir/support/diagnostics.js';
import { readGraphDef } from '../../../ir/tf/graphdef/io.js';
import { projectPath } from '../../../ir/support/project.js';
import { resolveShapeSets } from '../../shapes.js';
import { GraphView } from '../../../ir/tf/graph.js';
import { printJson, runCommand } from '../output.js';
import { addModelOptions, collect, modelSelection, nonNegativeNumber, type ModelFlags } from '../options.js';
import { modelFormat, withModel } from '../../model-input.js';

interface OutputReport {
  name: string;
  max_abs_err: number | null;
  max_rel_err: number | null;
  ok: boolean;
  error?: string;
}
interface VerifyReport {
  ok: boolean;
  outputs: OutputReport[];
  shape_sets: { key: string; ok: boolean; outputs: OutputReport[] }[];
}

interface Flags extends ModelFlags {
  shapes?: string[];
  rtol: number;
  atol: number;
  seed: number;
  json?: boolean;
}

interface Manifest {
  shape_sets: { key: string; shapes: Record<string, number[]> }[];
  source?: { format: string; signature?: string; tags?: string[] };
}

function readManifest(out: string): Manifest {
  try {
    return JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as Manifest;
  } catch {
    throw errors.badOutDir(out, 'no readable manifest.json: is this a tf2tvm compile output?');
  }
}

export async function verify(model: string, out: string, o: Flags): Promise<VerifyReport> {
  const manifest = readManifest(out);
  // A SavedModel is read with the signature and tags it was compiled with, unless told otherwise.
  const recorded = modelFormat(model) === 'saved_model' ? manifest.source : undefined;
  const sel = {
    ...(recorded?.signature !== undefined ? { signature: recorded.signature } : {}),
    ...(recorded?.tags !== undefined ? { tags: recorded.tags } : {}),
    ...modelSelection(o),
  };
  return withModel(model, sel, (m) => verifyGraph(m.graph, m.format === 'saved_model' ? model : undefined, out, manifest, o));
}

/** `graph`: the original as a binary GraphDef; `savedModel`: the SavedModel it was frozen from. */
async function verifyGraph(graph: string, savedModel: string | undefined, out: string, manifest: Manifest, o: Flags): Promise<VerifyReport> {
  let sets = manifest.shape_sets;
  if (o.shapes?.length) {
    const view = new GraphView(await readGraphDef(graph));
    sets = resolveShapeSets(view, o.shapes).map((s) => ({ key: s.key, shapes: Object.fromEntries(s.shapes) as Record<string, number[]> }));
  }
  let savedModelArgs: string[] = [];
  if (savedModel !== undefined) {
    const signature = manifest.source?.signature;
    if (signature === undefined || !existsSync(path.join(out, 'saved_model', 'saved_model.pb'))) throw errors.noSavedModelOut(out);
    if (o.signature !== undefined && o.signature !== signature)
      throw errors.signatureUnknown(path.join(out, 'saved_model'), o.signature, [signature]);
    savedModelArgs = ['--saved-model', '--signature', signature, '--tags', (o.tags ?? manifest.source?.tags ?? ['serve']).join(',')];
  }
  // verify.py reports a mismatch in its document (ok: false, exit 4 below);
  // it exits non-zero only when it could not compare.
  return runPythonStep<VerifyReport>({
    script: projectPath('backends', 'tf', 'verify.py'),
    args: [
      '--model',
      savedModel ?? graph,
      ...savedModelArgs,
      '--out',
      out,
      '--shape-sets',
      JSON.stringify(sets),
      '--rtol',
      String(o.rtol),
      '--atol',
      String(o.atol),
      '--seed',
      String(o.seed),
    ],
    what: 'verification',
  });
}

export function registerVerify(program: Command): void {
  addModelOptions(
    program
      .command('verify')
      .description('run the original and the rewritten graph in TensorFlow and compare every output')
      .argument('<model>', 'the original model: frozen GraphDef (.pb, .pbtxt), SavedModel folder (against OUT/saved_model) or Keras file')
      .argument('<out>', 'the output folder of tf2tvm compile'),
  )
    .option('--shapes <spec>', 'check only this shape set (default: every compiled one)', collect)
    .option('--rtol <x>', 'relative tolerance: max|diff| <= atol + rtol * max|original|', nonNegativeNumber, 1e-5)
    .option('--atol <x>', 'absolute tolerance', nonNegativeNumber, 0)
    .option('--seed <n>', 'seed of the random inputs', (v) => Number(v), 0)
    .option('--json', 'print one JSON document on stdout')
    .action(async (model: string, out: string, o: Flags) => {
      await runCommand(Boolean(o.json), async () => {
        const r = await verify(model, out, o);
        if (o.json) printJson(r);
        for (const s of r.shape_sets) {
          for (const x of s.outputs) {
            const status = x.ok ? 'ok' : 'MISMATCH';
            process.stderr.write(
              `${s.key}  ${x.name}: max abs err ${x.max_abs_err?.toExponential(2) ?? '-'}, max rel err ${x.max_rel_err?.toExponential(2) ?? '-'}  ${status}${x.error ? ` (${x.error})` : ''}\n`,
            );
          }
        }
        if (!r.ok) {
          const e = errors.verifyMismatch(`outputs over tolerance (rtol ${o.rtol}, atol ${o.atol})`);
          process.stderr.write(`error ${e.code}: ${e.message}\n`);
          return e.exitCode;
        }
        return 0;
      });
    });
}
