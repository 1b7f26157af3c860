// Collapsing for the HTML report: turns a DAG of units (a cluster, a node,
// a port) into fewer blocks, each drawn as one box. Only "collapsible" units
// are merged, and only in ways that keep the block graph acyclic:
//   - chains: a path where every link is the only edge out of its source
//     and the only edge into its target;
//   - groups: alike blocks (same signature) with the same predecessors and
//     successors, drawn as one "k ×" box;
//   - regions (only when chains and groups leave too many boxes, and only
//     where asked): a set entered only through its first block and left only
//     through its last (single entry, single exit; blocks without consumers
//     may end inside), grown to a fixpoint together with chains, up to a size
//     cap so that a large graph still shows its structure.
// A block of fewer than MIN_BLOCK units is split back into single units, and
// a graph with few collapsible units is not collapsed at all. Deterministic:
// every choice follows the units' `order`.

export interface CUnit {
  readonly order: number;
  readonly collapsible: boolean;
  /** Alike units (for groups) have equal signatures. */
  readonly signature: string;
}

export interface CEdge {
  readonly from: number;
  readonly to: number;
}

export type BlockKind = 'single' | 'chain' | 'region' | 'group';

export interface Block {
  readonly kind: BlockKind;
  /** Unit indices in `order`. */
  readonly units: readonly number[];
  /** A group's parts (each a unit or a chain), in `order`. */
  readonly parts?: readonly (readonly number[])[];
}

export interface Collapsed {
  readonly blocks: readonly Block[];
  readonly blockOf: readonly number[];
}

export interface CollapseOptions {
  /** Try regions when chains and groups leave more blocks than this. */
  readonly regionsAbove?: number;
}

/** Graphs with at most this many collapsible units are drawn in full. */
export const SMALL = 16;
export const MIN_BLOCK = 3;

export function collapse(units: readonly CUnit[], edges: readonly CEdge[], o: CollapseOptions = {}): Collapsed {
  const byOrder = units.map((_, i) => i).sort((a, b) => units[a]!.order - units[b]!.order || a - b);
  const collapsibleUnits = units.filter((u) => u.collapsible).length;
  if (collapsibleUnits <= SMALL)
    return finish(
      units,
      edges,
      byOrder.map((u) => [u]),
      [],
    );
  const uf = new UnionFind(units.length);
  const quotient = (): Quotient => quotientOf(uf, units, edges, byOrder);

  // Level 1: chains.
  mergeChains(uf, quotient());
  let sets = uf.sets(byOrder);
  let groups = findGroups(units, edges, sets);
  const count = drawnSets(sets).length - groups.reduce((k, g) => k + g.length - 1, 0);

  // Level 2: regions and chains to a fixpoint, when still too many boxes.
  if (o.regionsAbove !== undefined && count > o.regionsAbove) {
    const cap = Math.max(24, Math.ceil(collapsibleUnits / 12));
    for (let round = 0; round < 64; round++) if (!mergeRegions(uf, quotient(), cap)) break;
    sets = uf.sets(byOrder);
    groups = findGroups(units, edges, sets);
  }
  return finish(units, edges, sets, groups);
}

/** Union-find over units; a set's root is its smallest unit index. */
class UnionFind {
  private readonly parent: number[];
  /** Units in the set, at its root. */
  readonly size: number[];

  constructor(n: number) {
    this.parent = Array.from({ length: n }, (_, i) => i);
    this.size = new Array<number>(n).fill(1);
  }

  find(x: number): number {
    const parent = this.parent;
    while (parent[x] !== x) x = parent[x] = parent[parent[x]!]!;
    return x;
  }

  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra === rb) return;
    const [big, small] = ra < rb ? [ra, rb] : [rb, ra];
    this.parent[small] = big;
    this.size[big]! += this.size[small]!;
  }

  /** The sets, each in `byOrder` order, ordered by their first unit. */
  sets(byOrder: readonly number[]): number[][] {
    const m = new Map<number, number[]>();
    for (const u of byOrder) {
      const r = this.find(u);
      const l = m.get(r);
      if (l) l.push(u);
      else m.set(r, [u]);
    }
    return [...m.values()];
  }
}

/** The graph of the current sets, by root; neighbour lists in order. */
interface Quotient {
  readonly roots: readonly number[];
  readonly succ: ReadonlyMap<number, readonly number[]>;
  readonly pred: ReadonlyMap<number, readonly number[]>;
  /** A set's order: its first unit's. */
  readonly order: ReadonlyMap<number, number>;
  /** Whether every unit of the set is collapsible. */
  readonly coll: ReadonlyMap<number, boolean>;
}

function quotientOf(uf: UnionFind, units: readonly CUnit[], edges: readonly CEdge[], byOrder: readonly number[]): Quotient {
  const order = new Map<number, number>();
  const coll = new Map<number, boolean>();
  for (const u of byOrder) {
    const r = uf.find(u);
    if (!order.has(r)) order.set(r, units[u]!.order);
    coll.set(r, (coll.get(r) ?? true) && units[u]!.collapsible);
  }
  const roots = [...order.keys()];
  const succ = new Map<number, number[]>(roots.map((r) => [r, []]));
  const pred = new Map<number, number[]>(roots.map((r) => [r, []]));
  const seen = new Set<string>();
  for (const e of edges) {
    const a = uf.find(e.from);
    const b = uf.find(e.to);
    if (a === b || seen.has(`${a}>${b}`)) continue;
    seen.add(`${a}>${b}`);
    succ.get(a)!.push(b);
    pred.get(b)!.push(a);
  }
  const ord = (x: number, y: number): number => order.get(x)! - order.get(y)! || x - y;
  for (const l of succ.values()) l.sort(ord);
  for (const l of pred.values()) l.sort(ord);
  return { roots, succ, pred, order, coll };
}

/** Joins each link that is the only edge out of its source and the only edge into its target. */
function mergeChains(uf: UnionFind, q: Quotient): void {
  for (const r of q.roots) {
    const s = q.succ.get(r)!;
    if (!q.coll.get(r) || s.length !== 1) continue;
    const t = s[0]!;
    if (q.coll.get(t) && q.pred.get(t)!.length === 1) uf.union(r, t);
  }
}

/**
 * One round of level 2: chain links and single-entry regions, each set
 * joined at most once a round and none past `cap` units. Whether anything
 * was joined.
 */
function mergeRegions(uf: UnionFind, q: Quotient, cap: number): boolean {
  const touched = new Set<number>();
  let changed = false;
  const free = (x: number): boolean => q.coll.get(x)! && !touched.has(x);
  for (const r of q.roots) {
    if (!free(r)) continue;
    const s = q.succ.get(r)!;
    if (s.length === 1) {
      const t = s[0]!;
      if (free(t) && q.pred.get(t)!.length === 1 && uf.size[r]! + uf.size[t]! <= cap) {
        uf.union(r, t);
        touched.add(r).add(t);
        changed = true;
      }
      continue;
    }
    if (s.length < 2) continue;
    const region = grow(r, q, free, (x) => uf.size[x]!, cap);
    if (!region) continue;
    for (const x of region) {
      uf.union(r, x);
      touched.add(x);
    }
    changed = true;
  }
  return changed;
}

/**
 * A single-entry region from `entry`: add blocks whose predecessors are all
 * inside, smallest order first. It closes when every edge leaving it goes to
 * one block whose predecessors are all inside (the exit, taken in), or to
 * none; if the cap or an outside predecessor stops it first, the largest
 * earlier state whose leaving edges all went to one block is taken. Any
 * single-entry set is safe to contract: a path leaving it can only come
 * back through the entry, which would be a cycle in the graph.
 */
function grow(
  entry: number,
  q: Pick<Quotient, 'succ' | 'pred' | 'order'>,
  free: (x: number) => boolean,
  weight: (x: number) => number,
  cap: number,
): number[] | undefined {
  const inside = new Set<number>([entry]);
  let total = weight(entry);
  const open = new Set<number>(q.succ.get(entry));
  const ready = (x: number): boolean => free(x) && q.pred.get(x)!.every((p) => inside.has(p));
  let best: number[] | undefined;
  for (;;) {
    if (open.size <= 1 && inside.size > 1) {
      best = [...inside];
      const x = [...open][0];
      if (x === undefined) return best;
      if (ready(x) && total + weight(x) <= cap) return [...best, x];
      return best;
    }
    let pick = -1;
    for (const x of open) if (ready(x) && (pick < 0 || q.order.get(x)! < q.order.get(pick)!)) pick = x;
    if (pick < 0 || total + weight(pick) > cap) return best;
    total += weight(pick);
    inside.add(pick);
    open.delete(pick);
    for (const s of q.succ.get(pick)!) if (!inside.has(s)) open.add(s);
  }
}

/** Sets as drawn: a set of fewer than MIN_BLOCK units is split into its units. */
function drawnSets(sets: readonly (readonly number[])[]): (readonly number[])[] {
  return sets.flatMap((s) => (s.length >= MIN_BLOCK ? [s] : s.map((u) => [u])));
}

/** Groups of MIN_BLOCK+ alike drawn sets with the same predecessors and successors. */
function findGroups(units: readonly CUnit[], edges: readonly CEdge[], sets: readonly (readonly number[])[]): (readonly number[])[][] {
  const parts = drawnSets(sets);
  const partOf = new Map<number, number>();
  parts.forEach((p, i) => p.forEach((u) => partOf.set(u, i)));
  const pred = parts.map(() => new Set<number>());
  const succ = parts.map(() => new Set<number>());
  for (const e of edges) {
    const a = partOf.get(e.from)!;
    const b = partOf.get(e.to)!;
    if (a === b) continue;
    succ[a]!.add(b);
    pred[b]!.add(a);
  }
  const sorted = (x: Set<number>): string => [...x].sort((p, q) => p - q).join(',');
  const byKey = new Map<string, number[]>();
  parts.forEach((p, i) => {
    if (!p.every((u) => units[u]!.collapsible)) return;
    const k = `${p.map((u) => units[u]!.signature).join('>')}|${sorted(pred[i]!)}|${sorted(succ[i]!)}`;
    const l = byKey.get(k);
    if (l) l.push(i);
    else byKey.set(k, [i]);
  });
  return [...byKey.values()].filter((l) => l.length >= MIN_BLOCK).map((l) => l.map((i) => parts[i]!));
}

function finish(
  units: readonly CUnit[],
  edges: readonly CEdge[],
  sets: readonly (readonly number[])[],
  groups: readonly (readonly (readonly number[])[])[],
): Collapsed {
  const ord = (a: number, b: number): number => units[a]!.order - units[b]!.order || a - b;
  const parts = drawnSets(sets);
  const partOf = new Array<number>(units.length).fill(-1);
  parts.forEach((p, i) => p.forEach((u) => (partOf[u] = i)));
  // Internal degrees tell a chain (a path) from a region.
  const inDeg = new Array<number>(units.length).fill(0);
  const outDeg = new Array<number>(units.length).fill(0);
  const internal = new Array<number>(parts.length).fill(0);
  const seen = new Set<string>();
  for (const e of edges) {
    if (e.from === e.to || partOf[e.from] !== partOf[e.to] || seen.has(`${e.from}>${e.to}`)) continue;
    seen.add(`${e.from}>${e.to}`);
    internal[partOf[e.from]!]!++;
    outDeg[e.from]!++;
    inDeg[e.to]!++;
  }
  const groupOf = new Map<number, number>();
  groups.forEach((g, i) => g.forEach((p) => groupOf.set(partOf[p[0]!]!, i)));
  const blocks: Block[] = [];
  const done = new Set<number>();
  parts.forEach((p, i) => {
    const g = groupOf.get(i);
    if (g !== undefined) {
      if (done.has(g)) return;
      done.add(g);
      const gp = groups[g]!.map((x) => [...x].sort(ord)).sort((a, b) => ord(a[0]!, b[0]!));
      blocks.push({ kind: 'group', units: gp.flat(), parts: gp });
      return;
    }
    const us = [...p].sort(ord);
    const path = internal[i] === us.length - 1 && us.every((u) => inDeg[u]! <= 1 && outDeg[u]! <= 1);
    blocks.push({ kind: us.length === 1 ? 'single' : path ? 'chain' : 'region', units: us });
  });
  blocks.sort((a, b) => ord(a.units[0]!, b.units[0]!));
  const blockOf = new Array<number>(units.length).fill(-1);
  blocks.forEach((b, k) => b.units.forEach((u) => (blockOf[u] = k)));
  return { blocks, blockOf };
}
