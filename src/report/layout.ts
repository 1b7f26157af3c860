// A small layered (Sugiyama-style) layout for the HTML report: topological
// ranks drawn top to bottom, dummy nodes on edges that span several ranks,
// barycenter sweeps against crossings, and x positions that pull each node
// toward its neighbours without overlaps (a weighted isotonic regression per
// rank); a tall drawing is then set in columns side by side, and each edge
// is routed through its dummies. layeredLayout runs these phases in turn,
// one function each. Pure and deterministic: the same nodes and edges give
// the same coordinates. Sizes are in SVG pixels.

import { Heap } from '../../ir/support/heap.js';

export interface LayoutNode {
  readonly w: number;
  readonly h: number;
  /** Tie-break for every choice the layout makes (e.g. graph order). */
  readonly order: number;
}

export interface LayoutEdge {
  readonly from: number;
  readonly to: number;
}

export interface PlacedNode {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
  readonly rank: number;
}

export interface RoutedEdge {
  /** SVG path data from the bottom of `from` to the top of `to`. */
  readonly d: string;
  /** A point half way along the first span, for a label. */
  readonly mid: { readonly x: number; readonly y: number };
}

export interface Layout {
  readonly nodes: readonly PlacedNode[];
  readonly edges: readonly RoutedEdge[];
  readonly width: number;
  readonly height: number;
}

export interface LayoutOptions {
  /** Space between two boxes in a rank. */
  readonly nodeGap?: number;
  /** Space between ranks. */
  readonly rankGap?: number;
  readonly margin?: number;
  /** Set a tall drawing in columns side by side, up to this total width. */
  readonly maxWidth?: number;
  /** ... but no column shorter than this. */
  readonly minColumnHeight?: number;
}

const COL_GAP = 56;

/** Above this many dummy nodes, long edges are drawn straight instead. */
const MAX_DUMMIES = 20000;

interface Vertex {
  w: number;
  h: number;
  order: number;
  rank: number;
  dummy: boolean;
  preds: number[];
  succs: number[];
  pos: number;
  /** Initial position key: topological index (dummies just after their source). */
  tkey: number;
  x: number; // centre
  y: number; // top
}

/**
 * The layout in phases: orient the edges along a topological order, give
 * every node a rank, split long edges with dummy vertices, order each rank
 * against crossings, place x within ranks, set the ranks in columns, route
 * the edges.
 */
export function layeredLayout(nodes: readonly LayoutNode[], edges: readonly LayoutEdge[], o: LayoutOptions = {}): Layout {
  const margin = o.margin ?? 16;
  if (nodes.length === 0) return { nodes: [], edges: [], width: 2 * margin, height: 2 * margin };
  const g = orient(nodes, edges);
  const { V, chains, useDummies } = splitLongEdges(nodes, g, assignRanks(g));
  const layers = orderRanks(V);
  assignX(layers, V, o.nodeGap ?? 28);
  const cols = setColumns(layers, V, {
    rankGap: o.rankGap ?? 56,
    margin,
    maxWidth: useDummies ? o.maxWidth : undefined,
    minColumnHeight: o.minColumnHeight ?? 900,
  });
  const routed = routeEdges(V, nodes.length, chains, g.dir, cols);
  // Edges were deduplicated; map the caller's edges onto the routes.
  const routeOf = new Map<string, RoutedEdge>();
  g.edges.forEach((e, i) => routeOf.set(`${e.from},${e.to}`, routed[i]!));
  const none: RoutedEdge = { d: '', mid: { x: 0, y: 0 } };
  return {
    nodes: V.slice(0, nodes.length).map((v) => ({ x: r1(v.x - v.w / 2), y: r1(v.y), w: v.w, h: v.h, rank: v.rank })),
    edges: edges.map((e) => routeOf.get(`${e.from},${e.to}`) ?? none),
    width: Math.ceil(cols.width),
    height: Math.ceil(cols.height),
  };
}

// ---------------------------------------------------------------------------
// 1. Orientation

/** An edge as laid out: from `a` down to `b`; `rev` if the caller's edge runs from b to a. */
interface Directed {
  readonly a: number;
  readonly b: number;
  readonly rev: boolean;
}

interface Oriented {
  /** The caller's edges without self loops and duplicates; `dir` follows them index by index. */
  readonly edges: readonly LayoutEdge[];
  readonly dir: readonly Directed[];
  readonly topo: readonly number[];
  /** Node -> its index in `topo`. */
  readonly topoIndex: readonly number[];
  /** Along `dir`, between real nodes. */
  readonly preds: readonly (readonly number[])[];
  readonly succs: readonly (readonly number[])[];
}

/**
 * A topological order (Kahn, smallest `order` first). Edges against it (only
 * possible if the caller passes a cycle) are laid out reversed.
 */
function orient(nodes: readonly LayoutNode[], edges: readonly LayoutEdge[]): Oriented {
  const n = nodes.length;
  const out: number[][] = nodes.map(() => []);
  const indeg = new Array<number>(n).fill(0);
  const clean: LayoutEdge[] = [];
  const seen = new Set<string>();
  for (const e of edges) {
    if (e.from === e.to) continue;
    const k = `${e.from},${e.to}`;
    if (seen.has(k)) continue;
    seen.add(k);
    clean.push(e);
    out[e.from]!.push(e.to);
    indeg[e.to]!++;
  }
  const topo = topoOrder(nodes, out, indeg);
  const topoIndex = new Array<number>(n);
  topo.forEach((v, i) => (topoIndex[v] = i));
  const dir = clean.map((e) => (topoIndex[e.from]! < topoIndex[e.to]! ? { a: e.from, b: e.to, rev: false } : { a: e.to, b: e.from, rev: true }));
  const preds: number[][] = nodes.map(() => []);
  const succs: number[][] = nodes.map(() => []);
  for (const { a, b } of dir) {
    succs[a]!.push(b);
    preds[b]!.push(a);
  }
  return { edges: clean, dir, topo, topoIndex, preds, succs };
}

// ---------------------------------------------------------------------------
// 2. Ranks

/**
 * Longest path from the sources; sources then move down next to their first
 * consumer so that graph inputs do not draw long edges.
 */
function assignRanks(g: Oriented): number[] {
  const rank = new Array<number>(g.topo.length).fill(0);
  for (const v of g.topo) for (const s of g.succs[v]!) rank[s] = Math.max(rank[s]!, rank[v]! + 1);
  for (let i = g.topo.length - 1; i >= 0; i--) {
    const v = g.topo[i]!;
    if (g.preds[v]!.length > 0 || g.succs[v]!.length === 0) continue;
    rank[v] = Math.min(...g.succs[v]!.map((s) => rank[s]!)) - 1;
  }
  return rank;
}

// ---------------------------------------------------------------------------
// 3. Dummy vertices

interface Split {
  /** The nodes (same indices), then the dummies. */
  readonly V: Vertex[];
  /** Per oriented edge: its vertices from `a` to `b`. */
  readonly chains: readonly (readonly number[])[];
  /** False when there were too many dummies: long edges then run straight. */
  readonly useDummies: boolean;
}

/** Dummy vertices on long edges, so they route between boxes. */
function splitLongEdges(nodes: readonly LayoutNode[], g: Oriented, rank: readonly number[]): Split {
  const V: Vertex[] = nodes.map((nd, i) => ({
    w: nd.w,
    h: nd.h,
    order: nd.order,
    rank: rank[i]!,
    dummy: false,
    preds: [],
    succs: [],
    pos: 0,
    tkey: g.topoIndex[i]!,
    x: 0,
    y: 0,
  }));
  let dummies = 0;
  for (const { a, b } of g.dir) dummies += Math.max(0, V[b]!.rank - V[a]!.rank - 1);
  const useDummies = dummies <= MAX_DUMMIES;
  const chains = g.dir.map(({ a, b }) => {
    const chain = [a];
    let prev = a;
    if (useDummies) {
      for (let r = V[a]!.rank + 1; r < V[b]!.rank; r++) {
        const d = V.length;
        V.push({ w: 0, h: 0, order: V[a]!.order, rank: r, dummy: true, preds: [prev], succs: [], pos: 0, tkey: g.topoIndex[a]! + 0.5, x: 0, y: 0 });
        V[prev]!.succs.push(d);
        chain.push(d);
        prev = d;
      }
    }
    V[prev]!.succs.push(b);
    V[b]!.preds.push(prev);
    chain.push(b);
    return chain;
  });
  return { V, chains, useDummies };
}

// ---------------------------------------------------------------------------
// 4. Order within ranks

/** The ranks as vertex lists, ordered against crossings; sets each vertex's `pos`. */
function orderRanks(V: Vertex[]): number[][] {
  const maxRank = Math.max(...V.map((v) => v.rank));
  const layers: number[][] = Array.from({ length: maxRank + 1 }, () => []);
  const all = V.map((_, i) => i).sort((p, q) => V[p]!.tkey - V[q]!.tkey || p - q);
  for (const i of all) layers[V[i]!.rank]!.push(i);
  setPositions(layers, V);
  const best = reduceCrossings(layers, V);
  setPositions(best, V);
  return best;
}

function setPositions(layers: readonly (readonly number[])[], V: Vertex[]): void {
  layers.forEach((l) => l.forEach((v, i) => (V[v]!.pos = i)));
}

/** Barycenter sweeps, down and up in turn; the best order seen (a copy). */
function reduceCrossings(layers: number[][], V: Vertex[]): number[][] {
  let best = layers.map((l) => [...l]);
  let bestCross = crossings(layers, V);
  for (let it = 0; it < 12 && bestCross > 0; it++) {
    const down = it % 2 === 0;
    const rs = down ? range(1, layers.length) : range(layers.length - 2, -1, -1);
    for (const r of rs) sortByBarycenter(layers[r]!, V, down);
    const c = crossings(layers, V);
    if (c < bestCross) {
      bestCross = c;
      best = layers.map((l) => [...l]);
    }
  }
  return best;
}

/** One rank sorted by the mean position of its neighbours above (`down`) or below. */
function sortByBarycenter(l: number[], V: Vertex[], down: boolean): void {
  const bary = new Map<number, number>();
  for (const v of l) {
    const nb = down ? V[v]!.preds : V[v]!.succs;
    bary.set(v, nb.length ? nb.reduce((s, u) => s + V[u]!.pos, 0) / nb.length : V[v]!.pos);
  }
  l.sort((p, q) => bary.get(p)! - bary.get(q)! || V[p]!.pos - V[q]!.pos);
  l.forEach((v, i) => (V[v]!.pos = i));
}

// ---------------------------------------------------------------------------
// 5. x within ranks

/** x: start packed, then pull toward neighbours, rank by rank (down, up; then both ways). */
function assignX(layers: readonly (readonly number[])[], V: Vertex[], nodeGap: number): void {
  for (const l of layers) {
    let x = 0;
    for (const v of l) {
      V[v]!.x = x + V[v]!.w / 2;
      x += V[v]!.w + nodeGap;
    }
  }
  for (let it = 0; it < 10; it++) {
    for (let r = 1; r < layers.length; r++) pullToNeighbours(layers[r]!, V, nodeGap, true, false);
    for (let r = layers.length - 2; r >= 0; r--) pullToNeighbours(layers[r]!, V, nodeGap, false, true);
  }
  for (let it = 0; it < 2; it++) for (const l of layers) pullToNeighbours(l, V, nodeGap, true, true);
}

/** One rank's x as near the weighted mean of its chosen neighbours as the gaps allow. */
function pullToNeighbours(l: readonly number[], V: Vertex[], nodeGap: number, usePreds: boolean, useSuccs: boolean): void {
  const want: number[] = [];
  const wt: number[] = [];
  for (const v of l) {
    const me = V[v]!;
    let s = 0;
    let w = 0;
    const nb = [...(usePreds ? me.preds : []), ...(useSuccs ? me.succs : [])];
    for (const u of nb) {
      const k = pullWeight(me, V[u]!);
      s += k * V[u]!.x;
      w += k;
    }
    want.push(w > 0 ? s / w : me.x);
    wt.push(w > 0 ? w : 0.01);
  }
  const sep = l.slice(1).map((v, i) => minGap(V[l[i]!]!, V[v]!, nodeGap));
  isotonicPlace(want, wt, sep).forEach((x, i) => (V[l[i]!]!.x = x));
}

/** Centre to centre: dummies (edges) may pass closer than boxes. */
function minGap(p: Vertex, q: Vertex, nodeGap: number): number {
  return p.w / 2 + q.w / 2 + (p.dummy && q.dummy ? 10 : p.dummy || q.dummy ? 14 : nodeGap);
}

/** Long edges pull hardest, so they run straight. */
function pullWeight(p: Vertex, q: Vertex): number {
  return p.dummy && q.dummy ? 8 : p.dummy || q.dummy ? 2 : 1;
}

// ---------------------------------------------------------------------------
// 6. Columns

interface ColumnOptions {
  readonly rankGap: number;
  readonly margin: number;
  /** Undefined: one column. */
  readonly maxWidth: number | undefined;
  readonly minColumnHeight: number;
}

/** Where ranks and columns ended up. */
interface Columns {
  /** Rank -> its column. */
  readonly colOf: readonly number[];
  /** Rank -> its top and height. */
  readonly rankTop: readonly number[];
  readonly rankH: readonly number[];
  /** Column -> its left, width, top and bottom. */
  readonly colX: readonly number[];
  readonly colW: readonly number[];
  readonly colTop: readonly number[];
  readonly colBottom: readonly number[];
  readonly width: number;
  readonly height: number;
}

/**
 * A tall, narrow drawing is cut at rank boundaries crossed by few edges, and
 * the pieces are set side by side like newspaper columns; an edge across a
 * cut runs below its column, up the gutter and into the top of the next one.
 * Sets every vertex's final x and y.
 */
function setColumns(layers: readonly (readonly number[])[], V: Vertex[], o: ColumnOptions): Columns {
  const rankH = layers.map((l) => Math.max(0, ...l.map((v) => V[v]!.h)));
  const minX = Math.min(...V.map((v) => v.x - v.w / 2));
  for (const v of V) v.x -= minX;
  const bandW = Math.max(...V.map((v) => v.x + v.w / 2));
  // Edges from rank r to r + 1 (with dummies, every edge spans one rank).
  const cross = layers.map((l) => l.reduce((k, v) => k + V[v]!.succs.length, 0));
  const starts = o.maxWidth && bandW + 2 * o.margin <= o.maxWidth ? columnStarts(layers, V, rankH, cross, { ...o, maxWidth: o.maxWidth }) : [0];
  return placeColumns(layers, V, rankH, cross, starts, o);
}

/** The first rank of each column: the most columns that fit the width, none shorter than minColumnHeight. */
function columnStarts(
  layers: readonly (readonly number[])[],
  V: readonly Vertex[],
  rankH: readonly number[],
  cross: readonly number[],
  o: ColumnOptions & { readonly maxWidth: number },
): number[] {
  const flatTop: number[] = [];
  let total = 0;
  for (const h of rankH) {
    flatTop.push(total);
    total += h + o.rankGap;
  }
  total -= o.rankGap;
  const extent = (from: number, to: number): number => {
    const vs = layers.slice(from, to).flat();
    return Math.max(...vs.map((v) => V[v]!.x + V[v]!.w / 2)) - Math.min(...vs.map((v) => V[v]!.x - V[v]!.w / 2));
  };
  const widthOf = (st: number[]): number => st.reduce((w, s0, c) => w + extent(s0, st[c + 1] ?? layers.length) + (c ? COL_GAP : 0), 2 * o.margin);
  for (let k = Math.ceil(total / o.minColumnHeight); k >= 2; k--) {
    const st = cutsFor(k, flatTop, total, cross);
    if (st.length === k && widthOf(st) <= o.maxWidth) return st;
  }
  return [0];
}

/** Cuts for `columns` columns of about equal height, each near its target and crossed by few edges. */
function cutsFor(columns: number, flatTop: readonly number[], total: number, cross: readonly number[]): number[] {
  const starts = [0];
  for (let j = 1; j < columns; j++) {
    const target = (j * total) / columns;
    let best = -1;
    let bestScore = Infinity;
    for (let r = starts[starts.length - 1]! + 1; r < flatTop.length; r++) {
      const score = Math.abs(flatTop[r]! - target) + 250 * Math.max(0, cross[r - 1]! - 1);
      if (score < bestScore) {
        best = r;
        bestScore = score;
      }
    }
    if (best < 0) break;
    starts.push(best);
  }
  return starts;
}

/** Shifts each column's vertices into place, left to right, with room above and below for edges across cuts. */
function placeColumns(
  layers: readonly (readonly number[])[],
  V: Vertex[],
  rankH: readonly number[],
  cross: readonly number[],
  starts: readonly number[],
  o: ColumnOptions,
): Columns {
  const colOf = layers.map((_, r) => starts.filter((st) => st <= r).length - 1);
  const lanes = starts.slice(1).map((st) => cross[st - 1]!);
  const pad = starts.length > 1 ? 18 + 6 * Math.max(...lanes) : 0;
  const rankTop: number[] = [];
  const colX: number[] = [];
  const colW: number[] = [];
  const colTop: number[] = [];
  const colBottom: number[] = [];
  let x0 = o.margin;
  starts.forEach((st, c) => {
    const end = starts[c + 1] ?? layers.length;
    const vs = layers.slice(st, end).flat();
    const lo = Math.min(...vs.map((v) => V[v]!.x - V[v]!.w / 2));
    const hi = Math.max(...vs.map((v) => V[v]!.x + V[v]!.w / 2));
    for (const v of vs) V[v]!.x += x0 - lo;
    colX.push(x0);
    colW.push(hi - lo);
    x0 += hi - lo + COL_GAP;
    let y = o.margin + pad;
    colTop.push(y);
    for (let r = st; r < end; r++) {
      rankTop[r] = y;
      for (const v of layers[r]!) V[v]!.y = y + (rankH[r]! - V[v]!.h) / 2;
      y += rankH[r]! + o.rankGap;
    }
    colBottom.push(y - o.rankGap);
  });
  const width = x0 - COL_GAP + o.margin;
  const height = Math.max(...colBottom) + pad + o.margin;
  return { colOf, rankTop, rankH, colX, colW, colTop, colBottom, width, height };
}

// ---------------------------------------------------------------------------
// 7. Routes

interface Stop {
  readonly x: number;
  readonly y: number;
  readonly rank: number;
}

/** One route per oriented edge. Ports spread the edges leaving or entering one box. */
function routeEdges(V: readonly Vertex[], n: number, chains: readonly (readonly number[])[], dir: readonly Directed[], cols: Columns): RoutedEdge[] {
  const outPort = portOffsets(V, n, (v) => V[v]!.succs, true);
  const inPort = portOffsets(V, n, (v) => V[v]!.preds, false);
  // Column -> edges already routed across the cut below it.
  const laneUsed = new Map<number, number>();
  return chains.map((chain, i) => {
    const stops = chainStops(V, chain, outPort, inPort, cols);
    if (dir[i]!.rev) stops.reverse();
    return pathThrough(stops, cols, laneUsed);
  });
}

/** Stops: the source's bottom, each dummy's top and bottom, the target's top. */
function chainStops(
  V: readonly Vertex[],
  chain: readonly number[],
  outPort: ReadonlyMap<string, number>,
  inPort: ReadonlyMap<string, number>,
  cols: Columns,
): Stop[] {
  const { rankTop, rankH } = cols;
  const stops: Stop[] = [];
  const a = V[chain[0]!]!;
  stops.push({ x: a.x + (outPort.get(`${chain[0]}>${chain[1]}`) ?? 0), y: a.y + a.h, rank: a.rank });
  for (let k = 1; k < chain.length - 1; k++) {
    const dm = V[chain[k]!]!;
    stops.push({ x: dm.x, y: rankTop[dm.rank]!, rank: dm.rank }, { x: dm.x, y: rankTop[dm.rank]! + rankH[dm.rank]!, rank: dm.rank });
  }
  const b = V[chain[chain.length - 1]!]!;
  stops.push({ x: b.x + (inPort.get(`${chain[chain.length - 2]}>${chain[chain.length - 1]}`) ?? 0), y: b.y, rank: b.rank });
  return stops;
}

/**
 * SVG path data through the stops: a curve across each gap between ranks, a
 * line through each dummy's rank; across a column cut (either way round, for
 * reversed edges) down to a lane below the column, along the gutter and in
 * above the next column.
 */
function pathThrough(stops: readonly Stop[], cols: Columns, laneUsed: Map<number, number>): RoutedEdge {
  const { colOf, colX, colW, colTop, colBottom } = cols;
  let d = `M${pt(stops[0]!.x, stops[0]!.y)}`;
  let mid: { x: number; y: number } | undefined;
  for (let k = 1; k < stops.length; k++) {
    const p = stops[k - 1]!;
    const q = stops[k]!;
    if (k % 2 === 0) {
      d += `L${pt(q.x, q.y)}`;
      continue;
    }
    const cp = colOf[p.rank]!;
    const cq = colOf[q.rank]!;
    if (cp === cq) {
      const m = (p.y + q.y) / 2;
      d += `C${pt(p.x, m)} ${pt(q.x, m)} ${pt(q.x, q.y)}`;
      mid ??= { x: r1((p.x + q.x) / 2), y: r1(m) };
      continue;
    }
    const [lo, hi] = cp < cq ? [cp, cq] : [cq, cp];
    const lane = laneUsed.get(lo) ?? 0;
    laneUsed.set(lo, lane + 1);
    const gx = colX[lo]! + colW[lo]! + COL_GAP / 2 + (lane % 5) * 5 - 10;
    const yb = colBottom[lo]! + 10 + lane * 6;
    const yt = colTop[hi]! - 10 - lane * 6;
    const pts: [number, number][] =
      cp < cq
        ? [
            [p.x, yb],
            [gx, yb],
            [gx, yt],
            [q.x, yt],
            [q.x, q.y],
          ]
        : [
            [p.x, yt],
            [gx, yt],
            [gx, yb],
            [q.x, yb],
            [q.x, q.y],
          ];
    d += pts.map(([x, y]) => `L${pt(x, y)}`).join('');
    mid ??= { x: r1(gx), y: r1((yb + yt) / 2) };
  }
  return { d, mid: mid ?? { x: r1(stops[0]!.x), y: r1(stops[0]!.y) } };
}

function pt(x: number, y: number): string {
  return `${r1(x)},${r1(y)}`;
}

// ---------------------------------------------------------------------------
// Helpers

function topoOrder(nodes: readonly LayoutNode[], out: number[][], indeg0: number[]): number[] {
  const n = nodes.length;
  const indeg = [...indeg0];
  const heap = new Heap<number>((p, q) => nodes[p]!.order - nodes[q]!.order || p - q);
  for (let i = 0; i < n; i++) if (indeg[i] === 0) heap.push(i);
  const order: number[] = [];
  const done = new Array<boolean>(n).fill(false);
  while (order.length < n) {
    if (heap.size === 0) {
      // A cycle: release the earliest node still waiting.
      let pick = -1;
      for (let i = 0; i < n; i++) if (!done[i] && (pick < 0 || nodes[i]!.order < nodes[pick]!.order)) pick = i;
      indeg[pick] = 0;
      heap.push(pick);
    }
    const v = heap.pop();
    if (done[v]) continue;
    done[v] = true;
    order.push(v);
    for (const s of out[v]!) if (!done[s] && --indeg[s]! === 0) heap.push(s);
  }
  return order;
}

/** Total crossings between adjacent ranks (inversion count per rank pair). */
function crossings(layers: readonly (readonly number[])[], V: readonly Vertex[]): number {
  let total = 0;
  for (let r = 0; r + 1 < layers.length; r++) {
    const pairs: [number, number][] = [];
    for (const v of layers[r]!) for (const s of V[v]!.succs) pairs.push([V[v]!.pos, V[s]!.pos]);
    pairs.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const size = layers[r + 1]!.length;
    const tree = new Array<number>(size + 1).fill(0);
    let seenCount = 0;
    for (const [, q] of pairs) {
      // count earlier pairs whose target is after q
      let le = 0;
      for (let i = q + 1; i > 0; i -= i & -i) le += tree[i]!;
      total += seenCount - le;
      for (let i = q + 1; i <= size; i += i & -i) tree[i]!++;
      seenCount++;
    }
  }
  return total;
}

/**
 * Positions x[i] minimising sum wt[i] (x[i] - want[i])^2 subject to
 * x[i+1] - x[i] >= sep[i]: with offsets o[i] = sum sep[<i], z = x - o must be
 * non-decreasing, which is weighted isotonic regression (pool adjacent
 * violators).
 */
export function isotonicPlace(want: readonly number[], wt: readonly number[], sep: readonly number[]): number[] {
  const off: number[] = [0];
  for (let i = 0; i < sep.length; i++) off.push(off[i]! + sep[i]!);
  const blocks: { w: number; s: number; n: number }[] = [];
  want.forEach((d, i) => {
    blocks.push({ w: wt[i]!, s: wt[i]! * (d - off[i]!), n: 1 });
    while (blocks.length > 1) {
      const b = blocks[blocks.length - 1]!;
      const a = blocks[blocks.length - 2]!;
      if (a.s / a.w <= b.s / b.w) break;
      blocks.splice(blocks.length - 2, 2, { w: a.w + b.w, s: a.s + b.s, n: a.n + b.n });
    }
  });
  const x: number[] = [];
  for (const b of blocks) for (let k = 0; k < b.n; k++) x.push(b.s / b.w + off[x.length]!);
  return x;
}

function portOffsets(V: readonly Vertex[], n: number, nbs: (v: number) => readonly number[], outgoing: boolean): Map<string, number> {
  const m = new Map<string, number>();
  for (let v = 0; v < n; v++) {
    const list = [...nbs(v)].sort((p, q) => V[p]!.x - V[q]!.x || p - q);
    if (list.length < 2) continue;
    const step = Math.min(14, (V[v]!.w * 0.7) / (list.length - 1));
    list.forEach((u, k) => m.set(outgoing ? `${v}>${u}` : `${u}>${v}`, r1((k - (list.length - 1) / 2) * step)));
  }
  return m;
}

function r1(x: number): number {
  return Math.round(x * 10) / 10;
}

function range(from: number, to: number, step = 1): number[] {
  const r: number[] = [];
  for (let i = from; step > 0 ? i < to : i > to; i += step) r.push(i);
  return r;
}
