// The formats a model comes in, and the one every stage reads: a binary
// frozen GraphDef. A SavedModel folder, a Keras file (.keras, .h5) or a
// text GraphDef (.pbtxt) is frozen by TensorFlow into a temporary .pb first
// (backends/tf/freeze.ts); the passes then read that file with the same
// strict reader as any .pb.

import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freezeModel, type Frozen, type FreezeRefusal } from '../backends/tf/freeze.js';
import { errors, Tf2tvmError } from '../ir/support/diagnostics.js';
import { decodeGraphDef } from '../ir/tf/graphdef/io.js';

export type ModelFormat = 'graphdef' | 'pbtxt' | 'saved_model' | 'keras';

export interface ModelSelection {
  /** SavedModel only: the signature to compile (default serving_default, or the only one). */
  readonly signature?: string;
  /** SavedModel only: the MetaGraph's tags (default serve). */
  readonly tags?: readonly string[];
}

export interface PreparedModel {
  /** The path the user gave. */
  readonly source: string;
  readonly format: ModelFormat;
  /** The binary GraphDef every stage reads (the source itself for a .pb). */
  readonly graph: string;
  /** What freezing found: names and keys of the inputs and outputs, the signature. */
  readonly frozen?: Frozen;
  /** Removes the temporary .pb (if any). */
  dispose(): void;
}

export function isSavedModelDir(p: string): boolean {
  return ['saved_model.pb', 'saved_model.pbtxt'].some((f) => existsSync(path.join(p, f)));
}

/** The format, from what the path is: a SavedModel folder, else the file's extension. */
export function modelFormat(p: string): ModelFormat {
  let dir = false;
  try {
    dir = statSync(p).isDirectory();
  } catch {
    return 'graphdef'; // the reader says what is wrong with the path
  }
  if (dir) return isSavedModelDir(p) ? 'saved_model' : 'graphdef';
  const ext = path.extname(p).toLowerCase();
  if (ext === '.pbtxt') return 'pbtxt';
  if (ext === '.keras' || ext === '.h5') return 'keras';
  return 'graphdef';
}

function refused(p: string, r: FreezeRefusal, sel: ModelSelection): Tf2tvmError {
  switch (r.error) {
    case 'signature-ambiguous':
      return errors.signatureAmbiguous(p, r.signatures ?? []);
    case 'signature-unknown':
      return errors.signatureUnknown(p, sel.signature ?? '', r.signatures ?? []);
    case 'tags':
      return errors.savedModelTags(p, sel.tags ?? ['serve'], r.tag_sets ?? []);
    case 'no-signature':
      return errors.noSignatures(p);
    case 'pbtxt':
      return errors.badPbtxt(p, r.message);
    case 'load':
      return errors.modelUnloadable(p, modelFormat(p) === 'keras' ? 'Keras model' : 'SavedModel', r.message);
  }
}

/**
 * The strict binary reader's checks on what the text parsed to (fields
 * outside tf2tvm's schema, implausible names), reported against the .pbtxt.
 */
function checkText(p: string, graph: string): void {
  try {
    decodeGraphDef(readFileSync(graph), p);
  } catch (e) {
    if (e instanceof Tf2tvmError && e.code === errors.notAGraphDef.code) {
      throw errors.badPbtxt(p, e.message.slice(e.message.indexOf('(') + 1, -1));
    }
    throw e;
  }
}

/** The model as a binary GraphDef, frozen in TensorFlow when it comes in another format. */
export async function prepareModel(p: string, sel: ModelSelection = {}): Promise<PreparedModel> {
  const format = modelFormat(p);
  if (format !== 'saved_model') {
    if (sel.signature !== undefined) throw errors.notSavedModelFlag('--signature', p);
    if (sel.tags !== undefined) throw errors.notSavedModelFlag('--tags', p);
  }
  if (format === 'graphdef') return { source: p, format, graph: p, dispose: () => undefined };
  if (format === 'pbtxt' && statSync(p).size === 0) throw errors.fileEmpty(p);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tf2tvm-frozen-'));
  const dispose = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    const graph = path.join(dir, `${path.basename(path.resolve(p)).replace(/\.[^.]*$/, '') || 'model'}.pb`);
    const r = await freezeModel({
      kind: format,
      model: p,
      out: graph,
      ...(sel.signature !== undefined ? { signature: sel.signature } : {}),
      ...(sel.tags !== undefined ? { tags: sel.tags } : {}),
    });
    if (!r.ok) throw refused(p, r, sel);
    if (format === 'pbtxt') checkText(p, graph);
    return { source: p, format, graph, frozen: r, dispose };
  } catch (e) {
    dispose();
    throw e;
  }
}

/** Runs `fn` on the prepared model and removes the temporary files after. */
export async function withModel<T>(p: string, sel: ModelSelection, fn: (m: PreparedModel) => Promise<T>): Promise<T> {
  const m = await prepareModel(p, sel);
  try {
    return await fn(m);
  } finally {
    m.dispose();
  }
}
