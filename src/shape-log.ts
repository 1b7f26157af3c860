// --shapes-from FILE: the shape log bridge ops append to under
// TF2TVM_SHAPE_LOG (one JSON object per line: {"cluster": NAME, "inputs":
// [[d0, d1, ...], ...]}, the bridge node's input shapes), turned back into
// shape sets of the graph's placeholders. A record maps through the
// cluster's inputs that are placeholders (or Identity chains of one); a
// placeholder it does not reach takes the batch of those it does, as --batch
// would; a record that reaches no placeholder adds nothing (another
// cluster's record of the same call usually does).

import { readFileSync } from 'node:fs';
import { errors } from '../ir/support/diagnostics.js';
import type { GraphView } from '../ir/tf/graph.js';
import type { Cluster } from '../passes/state.js';
import { placeholders } from './shapes.js';

export interface ShapeRecord {
  readonly cluster: string;
  readonly inputs: readonly (readonly number[])[];
}

function isDims(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((d) => Number.isSafeInteger(d) && (d as number) >= 0);
}

/** The records of a shape log; a malformed line is TF2TVM1021 (bad input). */
export function readShapeLog(file: string): ShapeRecord[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : String(e);
    throw errors.badShapeLog(file, 0, `cannot read it: ${code}`);
  }
  const records: ShapeRecord[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      throw errors.badShapeLog(file, i + 1, 'not JSON');
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw errors.badShapeLog(file, i + 1, 'not a JSON object');
    const { cluster, inputs } = v as Record<string, unknown>;
    if (typeof cluster !== 'string' || cluster === '') throw errors.badShapeLog(file, i + 1, '"cluster" is not a name');
    if (!Array.isArray(inputs) || !inputs.every(isDims))
      throw errors.badShapeLog(file, i + 1, '"inputs" is not a list of shapes (lists of sizes >= 0)');
    records.push({ cluster, inputs });
  });
  return records;
}

/** The placeholder a tensor is, through Identity chains; undefined if it is none. */
function placeholderOf(view: GraphView, node: string, index: number): string | undefined {
  for (let n = view.node(node), i = index; ;) {
    if (i !== 0) return undefined;
    if (n.op === 'Placeholder' || n.op === 'PlaceholderV2') return n.name;
    if (n.op !== 'Identity' || n.inputs.length !== 1) return undefined;
    ({ node, index: i } = n.inputs[0]!);
    n = view.node(node);
  }
}

/** Placeholder shape maps for the records, one per distinct record that reaches a placeholder. */
export function shapeSetsFromLog(view: GraphView, clusters: readonly Cluster[], records: readonly ShapeRecord[]): Map<string, number[]>[] {
  const byName = new Map(clusters.map((c) => [c.name, c]));
  const phs = placeholders(view);
  const out: Map<string, number[]>[] = [];
  const seen = new Set<string>();
  for (const r of records) {
    const c = byName.get(r.cluster);
    if (!c || c.inputs.length !== r.inputs.length) continue;
    const m = new Map<string, number[]>();
    let conflict = false;
    c.inputs.forEach((t, i) => {
      const ph = placeholderOf(view, t.node, t.index);
      if (ph === undefined) return;
      const dims = [...r.inputs[i]!];
      const had = m.get(ph);
      if (had && had.join('x') !== dims.join('x')) conflict = true;
      m.set(ph, dims);
    });
    if (conflict || m.size === 0 || [...m.values()].some((d) => d.includes(0))) continue;
    const batches = new Set([...m.values()].map((d) => d[0]));
    for (const p of phs) {
      if (m.has(p.name) || !p.shape || p.shape.length === 0 || p.shape[0]! >= 0 || batches.size !== 1) continue;
      const batch = [...batches][0];
      if (batch !== undefined) m.set(p.name, [batch, ...p.shape.slice(1)]);
    }
    const key = JSON.stringify([...m].sort());
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(m);
  }
  return out;
}
