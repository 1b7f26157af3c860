// --shapes parsing and checking against the graph's placeholders.
//   "x=1x28x28x1"            one input
//   "x=1x28x28x1,y=1x10"     several inputs
//   "s="                     a scalar
// Each --shapes value is one full shape set; a placeholder left out keeps the
// graph's own shape, which must then be fully known.

import { errors } from '../ir/support/diagnostics.js';
import type { ShapeSet } from '../passes/state.js';
import { Attrs } from '../ir/tf/attrs.js';
import type { GraphView } from '../ir/tf/graph.js';

function parseShapesFlag(value: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw errors.badShapesFlag(value, `'${part}' is not NAME=DIMS`);
    const name = part.slice(0, eq).trim();
    const dims = part.slice(eq + 1).trim();
    if (out.has(name)) throw errors.badShapesFlag(value, `'${name}' is given twice`);
    if (dims === '') {
      out.set(name, []);
      continue;
    }
    const shape = dims.split('x').map((d) => (/^\d+$/.test(d) ? Number(d) : NaN));
    // 0 is a size TensorFlow allows (an empty tensor); nodes that see one stay in TensorFlow (empty-tensor).
    if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
      throw errors.badShapesFlag(value, `'${dims}' is not a list of sizes (0 or more) joined by 'x'`);
    }
    out.set(name, shape);
  }
  return out;
}

export interface PlaceholderInfo {
  readonly name: string;
  /** The graph's shape: dims with -1 for unknown; undefined for unknown rank. */
  readonly shape: readonly number[] | undefined;
}

export function placeholders(view: GraphView): PlaceholderInfo[] {
  return view.graph.node
    .filter((n) => n.op === 'Placeholder' || n.op === 'PlaceholderV2')
    .map((n) => ({ name: n.name, shape: new Attrs(n).shape('shape') }));
}

const fmt = (s: readonly number[] | undefined): string => (s ? `[${s.map((d) => (d < 0 ? '?' : d)).join(',')}]` : '<unknown rank>');

/** The key that names a shape set in file names: dims joined by 'x', inputs by '_'. */
function shapeKey(phs: readonly PlaceholderInfo[], shapes: ReadonlyMap<string, readonly number[]>): string {
  const parts = phs.map((p) => {
    const s = shapes.get(p.name)!;
    return s.length === 0 ? 'scalar' : s.join('x');
  });
  return parts.join('_') || 'noinput';
}

/** --shapes values (each one shape set), or --batch sizes. */
export type ShapeRequest = readonly string[] | { readonly batch: readonly number[] };

/** --batch N: every placeholder whose dimension 0 is unknown gets N there. */
function batchRequests(phs: readonly PlaceholderInfo[], batch: readonly number[]): Map<string, number[]>[] {
  return batch.map((n) => {
    const m = new Map<string, number[]>();
    for (const p of phs) {
      if (p.shape && p.shape.length > 0 && p.shape[0]! < 0) m.set(p.name, [n, ...p.shape.slice(1)]);
    }
    return m;
  });
}

/**
 * Resolve --shapes values (possibly none) or --batch sizes into full, checked
 * shape sets; `extra` (from --shapes-from) are added after them, and replace
 * the graph's own shapes when no --shapes or --batch was given.
 */
export function resolveShapeSets(view: GraphView, request: ShapeRequest, extra: readonly ReadonlyMap<string, readonly number[]>[] = []): ShapeSet[] {
  const phs = placeholders(view);
  const known = phs.map((p) => p.name);
  const flags: readonly string[] = Array.isArray(request) ? request : [];
  const base =
    'batch' in request
      ? batchRequests(phs, request.batch)
      : flags.length
        ? flags.map(parseShapesFlag)
        : extra.length
          ? []
          : [new Map<string, number[]>()];
  const requests: ReadonlyMap<string, readonly number[]>[] = [...base, ...extra];
  const sets: ShapeSet[] = [];
  const keys = new Set<string>();
  for (const req of requests) {
    for (const name of req.keys()) if (!known.includes(name)) throw errors.unknownInput(name, known);
    const shapes = new Map<string, readonly number[]>();
    for (const p of phs) {
      const given = req.get(p.name);
      if (given) {
        if (given.some((d) => d < 0)) throw errors.shapeMissing(p.name, fmt(given));
        if (p.shape) {
          if (p.shape.length !== given.length) throw errors.shapeRank(p.name, fmt(given), fmt(p.shape));
          p.shape.forEach((d, i) => {
            if (d >= 0 && d !== given[i]) throw errors.shapeDim(p.name, fmt(given), fmt(p.shape), i);
          });
        }
        shapes.set(p.name, given);
      } else {
        if (!p.shape || p.shape.some((d) => d < 0)) throw errors.shapeMissing(p.name, fmt(p.shape));
        shapes.set(p.name, p.shape);
      }
    }
    const key = shapeKey(phs, shapes);
    if (keys.has(key)) continue;
    keys.add(key);
    sets.push({ key, shapes });
  }
  return sets;
}
