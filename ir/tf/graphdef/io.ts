// Reading and writing binary GraphDefs. This module is the entry point of the
// graphdef layer: it re-exports the message types, builders and tensor
// helpers, so callers import from io.js only.

import { existsSync, readFileSync, statSync, type Stats } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { errors, Tf2tvmError } from '../../support/diagnostics.js';
import { GraphDefType } from './schema.js';
import { checkEncodable, checkWire } from './wire.js';
import type { GraphDef } from './types.js';

export * from './types.js';
export * from './build.js';
export * from './tensor.js';

// TensorFlow's node name grammar, taken loosely: [A-Za-z0-9.][A-Za-z0-9_./-]*
// (graph_constructor.cc), a leading '_' as its allow_internal_ops permits, and
// '>'-joined segments as node_def_util.cc's IsValidNodeName allows.
const SEGMENT = '[A-Za-z0-9._][A-Za-z0-9_./\\-]*';
const NODE_NAME = `${SEGMENT}(?:>${SEGMENT})*`;
const NODE_NAME_RE = new RegExp(`^${NODE_NAME}$`);
const INPUT_RE = new RegExp(`^\\^?${NODE_NAME}(?::\\d+)?$`);
// Registered op names are identifiers; an op may also name a library
// function, whose names allow the node-name characters.
const OP_RE = /^[A-Za-z0-9_.\-/>]+$/;
const PRINTABLE_RE = /^[\x20-\x7e]*$/;
const ATTR_NAME_RE = /^[\x21-\x7e]+$/;

function quote(s: string): string {
  return JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}...` : s);
}

/**
 * Why a successfully decoded message is not a plausible GraphDef, or null.
 * Random bytes now and then decode as protobuf; these checks are what rejects
 * them (every check holds for any graph TensorFlow can import).
 */
function implausible(g: GraphDef): string | null {
  if (g.node.length === 0) return 'it decodes as protobuf but holds no nodes';
  for (let i = 0; i < g.node.length; i++) {
    const n = g.node[i];
    if (n === undefined) return `node ${i} is missing`;
    if (n.name === '') return `node ${i} has no name`;
    if (!NODE_NAME_RE.test(n.name)) return `node ${i} has an invalid name ${quote(n.name)}`;
    if (n.op === '') return `node ${quote(n.name)} has no op`;
    if (!OP_RE.test(n.op)) return `node ${quote(n.name)} has an invalid op ${quote(n.op)}`;
    for (const input of n.input) {
      if (!INPUT_RE.test(input)) return `node ${quote(n.name)} has an invalid input ${quote(input)}`;
    }
    if (!PRINTABLE_RE.test(n.device)) return `node ${quote(n.name)} has an invalid device ${quote(n.device)}`;
    for (const key of Object.keys(n.attr)) {
      if (!ATTR_NAME_RE.test(key)) return `node ${quote(n.name)} has an invalid attr name ${quote(key)}`;
    }
  }
  return null;
}

function looksLikeText(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.subarray(0, 64)).toString('latin1');
  return /^[\t\n\r\x20-\x7e]*$/.test(head) && /^\s*(node|versions|library|debug_info)\s*\{/.test(head);
}

/**
 * Decodes a binary GraphDef. Throws Tf2tvmError notAGraphDef (naming
 * `source`) when the bytes are not protobuf, use fields our schema does not
 * know (they would be lost on write-back), or do not look like a graph.
 *
 * The returned message's bytes fields (tensor_content, string attrs) share
 * memory with `bytes`: do not modify `bytes` afterwards.
 */
export function decodeGraphDef(bytes: Uint8Array, source = '<bytes>'): GraphDef {
  if (bytes.length === 0) throw errors.notAGraphDef(source, 'it is empty');
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const problem = checkWire(buf, GraphDefType);
  if (problem !== null) {
    let why = `${problem.message} (at byte ${problem.offset})`;
    if (looksLikeText(buf)) why = 'it looks like a text-format GraphDef; give it a .pbtxt name and tf2tvm reads it as text';
    else if (basename(source) === 'saved_model.pb') why = `it looks like a SavedModel, not a frozen GraphDef: ${why}`;
    throw errors.notAGraphDef(source, why);
  }
  let g: GraphDef;
  try {
    g = GraphDefType.decode(buf) as unknown as GraphDef;
  } catch (e) {
    // checkWire accepted the bytes, so this is unexpected; still bad input.
    throw errors.notAGraphDef(source, e instanceof Error ? e.message : String(e));
  }
  const why = implausible(g);
  if (why !== null) throw errors.notAGraphDef(source, why);
  return g;
}

/**
 * Encodes a GraphDef. A graph decoded from TensorFlow's output and not
 * modified encodes to the same bytes (see docs/graphdef.md for the limits).
 * Throws an internal error for objects that do not fit the schema (e.g. a
 * bigint where an Int64 belongs), which protobufjs would otherwise write as 0.
 */
export function encodeGraphDef(g: GraphDef): Uint8Array {
  const bad = checkEncodable(g, GraphDefType);
  if (bad !== null) throw errors.internal(`GraphDef to write does not fit the schema: ${bad}`);
  return GraphDefType.encode(g).finish();
}

function errno(e: unknown): string | undefined {
  if (typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string') return e.code;
  return undefined;
}

function statError(path: string, e: unknown): Tf2tvmError {
  const code = errno(e);
  if (code === 'ENOENT' || code === 'ENOTDIR') return errors.fileNotFound(path);
  return errors.notAGraphDef(path, `cannot read it: ${code ?? String(e)}`);
}

function folderError(path: string): Tf2tvmError {
  const isSavedModel = ['saved_model.pb', 'saved_model.pbtxt'].some((f) => existsSync(join(path, f)));
  return isSavedModel ? errors.savedModelDir(path) : errors.isDirectory(path);
}

function decodeFile(path: string, bytes: Uint8Array): GraphDef {
  if (bytes.length === 0) throw errors.fileEmpty(path);
  return decodeGraphDef(bytes, path);
}

/** Reads and decodes a frozen GraphDef file, turning every kind of bad input into its diagnostic. */
export async function readGraphDef(path: string): Promise<GraphDef> {
  let st: Stats;
  try {
    st = await stat(path);
  } catch (e) {
    throw statError(path, e);
  }
  if (st.isDirectory()) throw folderError(path);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw statError(path, e);
  }
  return decodeFile(path, bytes);
}

/** readGraphDef, synchronously. */
export function readGraphDefSync(path: string): GraphDef {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (e) {
    throw statError(path, e);
  }
  if (st.isDirectory()) throw folderError(path);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw statError(path, e);
  }
  return decodeFile(path, bytes);
}

export async function writeGraphDef(path: string, g: GraphDef): Promise<void> {
  await writeFile(path, encodeGraphDef(g));
}
