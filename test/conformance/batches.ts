// Conformance cases joined into batch graphs: each case's nodes renamed under
// `<case>/`, all in one GraphDef, so one `tf2tvm compile` (one CLI start, one
// TVM build worker) builds the clusters of many cases, and one TensorFlow
// session per batch checks them. Cases stay independent: they share no node,
// so every case's ops form clusters of their own (a cluster's Relay text, and
// so its build-cache key, is the same as when the case is compiled alone),
// a build that fails keeps only that case's cluster in TensorFlow, and
// check_ops.py runs each case's fetches alone.

import { readFileSync } from 'node:fs';
import { decodeGraphDef, encodeGraphDef, type GraphDef, type NodeDef } from '../../ir/tf/graphdef/io.js';

/** Cases per batch: large enough that process starts stop dominating, small enough that batches run two at a time. */
export const BATCH_SIZE = 12;

/**
 * `names` (sorted) in consecutive groups of BATCH_SIZE, cases of one GraphDef
 * producer version together (TensorFlow reads a whole graph under one version:
 * an op it removed at version 9 only runs in a graph older than that): stable
 * as long as the case list is.
 */
export function batchesOf(names: readonly string[], producerOf: (name: string) => number, size = BATCH_SIZE): string[][] {
  const byProducer = new Map<number, string[]>();
  for (const n of names) {
    const p = producerOf(n);
    byProducer.set(p, [...(byProducer.get(p) ?? []), n]);
  }
  const out: string[][] = [];
  for (const p of [...byProducer.keys()].sort((a, b) => b - a)) {
    const group = byProducer.get(p)!;
    for (let i = 0; i < group.length; i += size) out.push(group.slice(i, i + size));
  }
  return out;
}

/** The GraphDef producer version of a model file. */
export function producerOf(model: string): number {
  return decodeGraphDef(readFileSync(model), model).versions?.producer ?? 0;
}

/** A node input ("n", "n:1", "^n") under `prefix/`. */
function renamedInput(ref: string, prefix: string): string {
  return ref.startsWith('^') ? `^${prefix}/${ref.slice(1)}` : `${prefix}/${ref}`;
}

function renamedNode(n: NodeDef, prefix: string): NodeDef {
  const attr = { ...n.attr };
  // Colocation constraints name nodes too ("loc:@name").
  const cls = attr._class?.list?.s;
  if (cls) {
    const s = cls.map((b) => new TextEncoder().encode(new TextDecoder().decode(b).replace(/^loc:@/, `loc:@${prefix}/`)));
    attr._class = { ...attr._class, list: { ...attr._class!.list!, s } };
  }
  return { ...n, name: `${prefix}/${n.name}`, input: n.input.map((r) => renamedInput(r, prefix)), attr };
}

/** One GraphDef holding every case's graph (case -> model.pb path) under its name. */
export function joinCases(cases: readonly { name: string; model: string }[]): Uint8Array {
  const graphs = cases.map((c) => ({ name: c.name, g: decodeGraphDef(readFileSync(c.model), c.model) }));
  for (const { name, g } of graphs) {
    if (g.library?.function?.length) throw new Error(`case ${name} has a function library: batches do not join libraries`);
    if ((g.versions?.producer ?? 0) !== (graphs[0]!.g.versions?.producer ?? 0)) throw new Error(`case ${name} has another GraphDef version`);
  }
  const first: GraphDef = graphs[0]!.g;
  const joined: GraphDef = {
    node: graphs.flatMap(({ name, g }) => g.node.map((n) => renamedNode(n, name))),
    version: first.version,
    versions: first.versions ?? null,
  };
  return encodeGraphDef(joined);
}
