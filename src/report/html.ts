// `tf2tvm inspect --html`: one self-contained HTML page (inline CSS, SVG and
// a little script, nothing fetched) that draws the clustering. The page stays
// readable on graphs of thousands of nodes because it never draws the raw
// graph (collapse.ts has the rules):
//   - each cluster is one box with a summary (node count, op histogram,
//     inputs, outputs); clicking it opens the cluster's own drawing, where
//     chains and alike siblings among the members are collapsed in turn;
//   - Const nodes (and other nodes left out only because they are constants,
//     or computed only from constants inside a cluster) are not drawn: they
//     feed weights;
//   - nodes left in TensorFlow are drawn one by one, headed by their reason
//     code, except that a chain of three or more becomes one box, three or
//     more alike ones with the same neighbours become one, and, when that
//     still leaves too many boxes, single-entry regions of them become one
//     (each such box opens its own drawing too);
//   - edges between boxes are merged; an edge form-clusters refused to merge
//     is drawn in its reason's colour, labelled with the reason code unless
//     both its ends already show it.
// The layered layout (layout.ts) is computed here, so the page needs no
// script to show the drawing; the script adds zoom, search, hover and the
// detail panel. The page's skeleton, style sheet and script are files in
// assets/, put together by page.ts. Deterministic: the same report and graph
// give the same string.

import type { GraphView } from '../../ir/tf/graph.js';
import { summaryLine, type Unclustered } from '../pipeline/analyze.js';
import { REASONS } from '../../ir/support/reasons.js';
import { collapse, MIN_BLOCK, type Block, type CUnit } from './collapse.js';
import { layeredLayout, type Layout, type RoutedEdge } from './layout.js';
import { renderPage } from './page.js';

/** What the page needs from `inspect` (InspectReport satisfies it). */
export interface HtmlReportInput {
  readonly nodes: number;
  readonly clusteredNodes: number;
  readonly unclustered: readonly { readonly node: string; readonly op: string; readonly reason: string; readonly message: string }[];
  readonly clusters: readonly {
    readonly name: string;
    readonly nodes: readonly string[];
    readonly inputs: readonly string[];
    readonly outputs: readonly string[];
  }[];
  readonly unmerged_edges: readonly { readonly from: string; readonly to: string; readonly reason: string }[];
}

export interface HtmlOptions {
  /** Shown in the page title, e.g. the model's file name. */
  readonly title?: string;
}

// ---------------------------------------------------------------------------
// Look

const CHAR_W = 7.25; // advance of a 12px monospace glyph (DejaVu Sans Mono: 7.22)
const LINE_H = 16;
const HEAD_H = 21;
const PAD = 8;
/** The main drawing collapses TensorFlow regions when chains leave more boxes than this. */
const REGIONS_ABOVE = 120;
/** Tall drawings are set in columns to about the width of the canvas (main) or panel (sub) on a 1600px screen. */
const MAIN_LAYOUT = { maxWidth: 1240 };
const SUB_LAYOUT = { maxWidth: 1520 };

const CLUSTER_COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#ff9da7', '#9c755f', '#e15759', '#86bcb6'];

const REASON_COLORS: Record<string, string> = {
  'unsupported-op': '#d62728',
  'needs-vm': '#aec7e8',
  'unsupported-dtype': '#e377c2',
  'unsupported-variant': '#ff7f0e',
  'unknown-shape': '#9467bd',
  'empty-tensor': '#c5b0d5',
  'needs-constant': '#8c564b',
  'control-flow': '#17becf',
  'in-loop': '#1f77b4',
  stateful: '#6b6b6b',
  device: '#bcbd22',
  'excluded-op': '#393b79',
  'excluded-node': '#5254a3',
  constant: '#b0b0b0',
  'graph-input': '#2ca02c',
  'no-compute-op': '#637939',
  'below-min-size': '#8c6d31',
  'no-cluster-output': '#bd9e39',
  'would-form-cycle': '#e7298a',
  'size-limit': '#843c39',
  'build-failed': '#000000',
};
const NO_REASON = 'unclustered';

function reasonColor(r: string): string {
  return REASON_COLORS[r] ?? '#555555';
}

function clusterColor(i: number): string {
  return CLUSTER_COLORS[i % CLUSTER_COLORS.length]!;
}

function mix(hex: string, white: number): string {
  const c = [1, 3, 5].map((k) => parseInt(hex.slice(k, k + 2), 16));
  return (
    '#' +
    c
      .map((v) =>
        Math.round(v + (255 - v) * white)
          .toString(16)
          .padStart(2, '0'),
      )
      .join('')
  );
}

/** Dark text on light fills, white on dark ones. */
function ink(hex: string): string {
  return luminance(hex) > 0.62 ? '#1b1b1b' : '#ffffff';
}

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((k) => parseInt(hex.slice(k, k + 2), 16) / 255) as [number, number, number];
  return 0.299 * r + 0.587 * g + 0.114 * b;
}

function darken(hex: string, f: number): string {
  return (
    '#' +
    [1, 3, 5]
      .map((k) =>
        Math.round(parseInt(hex.slice(k, k + 2), 16) * (1 - f))
          .toString(16)
          .padStart(2, '0'),
      )
      .join('')
  );
}

/** A readable text colour of a reason on white. */
function reasonInk(r: string): string {
  const c = reasonColor(r);
  return luminance(c) > 0.45 ? darken(c, 0.35) : c;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Shorten in the middle: both ends of a node name carry meaning. */
function fit(s: string, max: number): string {
  if (s.length <= max) return s;
  const tail = Math.floor((max - 1) / 2);
  return s.slice(0, max - 1 - tail) + '…' + s.slice(s.length - tail);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : /(s|x|ch|sh)$/.test(word) ? 'es' : 's'}`;
}

function histogram(items: readonly string[]): [string, number][] {
  const m = new Map<string, number>();
  for (const x of items) m.set(x, (m.get(x) ?? 0) + 1);
  return [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

// ---------------------------------------------------------------------------
// The graph as units (a cluster, a node, a port) and merged edges

interface Unit extends CUnit {
  readonly kind: 'cluster' | 'tf' | 'member' | 'port';
  readonly nodes: readonly string[];
  readonly cluster?: number;
  readonly label?: string;
}

interface UEdge {
  readonly from: number;
  readonly to: number;
  readonly tensors: string[];
  control: boolean;
  readonly reasons: string[];
}

class EdgeSet {
  readonly map = new Map<string, UEdge>();
  add(from: number, to: number, tensor: string, control: boolean): void {
    if (from === to || from < 0 || to < 0) return;
    const k = `${from}>${to}`;
    const e = this.map.get(k);
    if (!e) this.map.set(k, { from, to, tensors: [tensor], control, reasons: [] });
    else {
      if (!e.tensors.includes(tensor)) e.tensors.push(tensor);
      e.control &&= control;
    }
  }
  mark(from: number, to: number, reason: string): void {
    if (from === to || from < 0 || to < 0) return;
    let e = this.map.get(`${from}>${to}`);
    if (!e) {
      e = { from, to, tensors: [], control: false, reasons: [] };
      this.map.set(`${from}>${to}`, e);
    }
    if (!e.reasons.includes(reason)) e.reasons.push(reason);
  }
  get list(): UEdge[] {
    return [...this.map.values()];
  }
  /** The same edges between blocks. */
  lift(blockOf: readonly number[]): UEdge[] {
    const out = new EdgeSet();
    for (const e of this.map.values()) {
      const a = blockOf[e.from]!;
      const b = blockOf[e.to]!;
      for (const t of e.tensors) out.add(a, b, t, e.control);
      for (const r of e.reasons) out.mark(a, b, r);
    }
    return out.list;
  }
}

// ---------------------------------------------------------------------------
// Boxes

interface Line {
  readonly text: string;
  readonly cls?: string;
  readonly color?: string;
}

interface Box {
  readonly id: string;
  readonly kind: string;
  readonly key: string;
  readonly header?: { readonly text: string; readonly right?: string; readonly fill: string };
  readonly lines: readonly Line[];
  readonly fill: string;
  readonly stroke: string;
  readonly strokeWidth: number;
  readonly dashed?: boolean;
  readonly pill?: boolean;
  readonly tip: string;
  readonly order: number;
  readonly nodes: readonly string[];
  readonly detail?: string;
  /** Reason codes the box shows (TensorFlow boxes). */
  readonly reasons?: readonly string[];
  w: number;
  h: number;
}

function sizeBox(b: Box, minW: number, maxW: number): void {
  const maxChars = Math.floor((maxW - 2 * PAD) / CHAR_W);
  const texts = [...b.lines.map((l) => l.text), ...(b.header ? [b.header.text + (b.header.right ? '  ' + b.header.right : '')] : [])];
  const longest = Math.max(0, ...texts.map((t) => Math.min(t.length, maxChars)));
  b.w = Math.ceil(Math.max(minW, Math.min(maxW, longest * CHAR_W + 2 * PAD + 2)));
  b.h = b.pill ? 24 : (b.header ? HEAD_H : 0) + b.lines.length * LINE_H + (b.lines.length ? 8 : 0);
}

interface Drawing {
  readonly boxes: readonly Box[];
  readonly edges: readonly (UEdge & { readonly tip: string })[];
  readonly layout: Layout;
}

function renderSvg(d: Drawing, id: string, cls: string): string {
  const { boxes, edges, layout } = d;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" ${id ? `id="${id}" ` : ''}class="${cls}" width="${layout.width}" height="${layout.height}" viewBox="0 0 ${layout.width} ${layout.height}" data-w="${layout.width}" data-h="${layout.height}">`,
  );
  out.push('<g class="edges">');
  const labels: string[] = [];
  const placed: LabelSpot[] = [];
  edges.forEach((e, i) => {
    const r = layout.edges[i]!;
    if (!r.d) return;
    out.push(edgeSvg(e, r, boxes, cls));
    const label = e.reasons.length ? edgeLabel(e, r, boxes, placed) : '';
    if (label) labels.push(label);
  });
  out.push('</g><g class="boxes">');
  boxes.forEach((b, i) => {
    const p = layout.nodes[i]!;
    out.push(boxSvg(b, p.x, p.y));
  });
  out.push('</g>');
  if (labels.length) out.push(`<g class="elabels">${labels.join('')}</g>`);
  out.push(arrowDefs(edges, cls));
  out.push('</svg>');
  return out.join('\n');
}

type DrawnEdge = Drawing['edges'][number];

function edgeSvg(e: DrawnEdge, r: RoutedEdge, boxes: readonly Box[], cls: string): string {
  const a = boxes[e.from]!.id;
  const b = boxes[e.to]!.id;
  if (!e.reasons.length) {
    return `<path class="edge${e.control ? ' ctl' : ''}" d="${r.d}" data-from="${a}" data-to="${b}" marker-end="url(#${cls}-arrow)"><title>${esc(e.tip)}</title></path>`;
  }
  const color = reasonColor(e.reasons[0]!);
  return `<path class="edge unmerged" d="${r.d}" data-from="${a}" data-to="${b}" data-reason="${esc(e.reasons.join(' '))}" style="stroke:${color}" marker-end="url(#${cls}-arrow-${esc(e.reasons[0]!)})"><title>${esc(e.tip)}</title></path>`;
}

/** Where an edge label went (its centre and width). */
interface LabelSpot {
  readonly x: number;
  readonly y: number;
  readonly w: number;
}

/**
 * The reason label of an unmerged edge, moved off the labels `placed` before
 * it (and added to them); none when both ends already show the reason.
 */
function edgeLabel(e: DrawnEdge, r: RoutedEdge, boxes: readonly Box[], placed: LabelSpot[]): string {
  const shown = (bx: Box): boolean => e.reasons.every((x) => bx.reasons?.includes(x));
  if (shown(boxes[e.from]!) && shown(boxes[e.to]!)) return '';
  const text = `✕ ${e.reasons.join(', ')}`;
  const w = Math.round(text.length * 6.7 + 10);
  let y = r.mid.y;
  for (const dy of [0, 20, -20, 40, -40, 60]) {
    y = r.mid.y + dy;
    if (!placed.some((q) => Math.abs(q.x - r.mid.x) < (q.w + w) / 2 + 2 && Math.abs(q.y - y) < 20)) break;
  }
  placed.push({ x: r.mid.x, y, w });
  const color = reasonColor(e.reasons[0]!);
  return `<g class="elabel" data-reason="${esc(e.reasons.join(' '))}" transform="translate(${r.mid.x},${y})"><rect x="${-w / 2}" y="-9" width="${w}" height="18" rx="9" style="stroke:${color}"/><text y="4" text-anchor="middle" style="fill:${reasonInk(e.reasons[0]!)}">${esc(text)}</text></g>`;
}

/** Arrow heads: the plain one and one per reason colour in use. */
function arrowDefs(edges: readonly DrawnEdge[], cls: string): string {
  const marker = (name: string, color: string): string =>
    `<marker id="${cls}-arrow${name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,1L9,5L0,9z" fill="${color}"/></marker>`;
  const used = [...new Set(edges.filter((e) => e.reasons.length).map((e) => e.reasons[0]!))].sort();
  return `<defs>${marker('', '#7b818c')}${used.map((r) => marker(`-${esc(r)}`, reasonColor(r))).join('')}</defs>`;
}

function boxSvg(b: Box, x: number, y: number): string {
  const maxChars = Math.floor((b.w - 2 * PAD) / CHAR_W);
  const parts: string[] = [];
  parts.push(
    `<g class="box ${b.kind}" id="${b.id}" data-key="${esc(b.key)}"${b.detail ? ` data-detail="${b.detail}"` : ''} transform="translate(${x},${y})">`,
  );
  parts.push(`<title>${esc(b.tip)}</title>`);
  const rx = b.pill ? 12 : 6;
  parts.push(
    `<rect class="frame" width="${b.w}" height="${b.h}" rx="${rx}" style="fill:${b.fill};stroke:${b.stroke};stroke-width:${b.strokeWidth}${b.dashed ? ';stroke-dasharray:5 3' : ''}"/>`,
  );
  if (b.pill) {
    parts.push(`<text x="${b.w / 2}" y="16" text-anchor="middle">${esc(fit(b.lines[0]?.text ?? '', maxChars))}</text>`);
    parts.push('</g>');
    return parts.join('');
  }
  let y0 = 0;
  if (b.header) {
    const h = b.header;
    const color = ink(h.fill);
    parts.push(`<path class="head" d="M0,6a6,6 0 0 1 6,-6h${b.w - 12}a6,6 0 0 1 6,6v${HEAD_H - 6}h${-b.w}z" style="fill:${h.fill}"/>`);
    const rightChars = h.right ? h.right.length + 2 : 0;
    parts.push(`<text class="hd" x="${PAD}" y="15" style="fill:${color}">${esc(fit(h.text, maxChars - rightChars))}</text>`);
    if (h.right) parts.push(`<text class="hr" x="${b.w - PAD}" y="15" text-anchor="end" style="fill:${color}">${esc(h.right)}</text>`);
    y0 = HEAD_H;
  }
  b.lines.forEach((l, i) => {
    const style = l.color ? ` style="fill:${l.color}"` : '';
    parts.push(`<text${l.cls ? ` class="${l.cls}"` : ''} x="${PAD}" y="${y0 + 16 + i * LINE_H}"${style}>${esc(fit(l.text, maxChars))}</text>`);
  });
  parts.push('</g>');
  return parts.join('');
}

function edgeTip(boxes: readonly Box[], e: UEdge): string {
  const head = `${boxes[e.from]!.key} → ${boxes[e.to]!.key}`;
  const t = e.tensors;
  const what = e.control
    ? 'control dependency'
    : t.length === 1
      ? t[0]!
      : `${t.length} tensors: ${t.slice(0, 8).join(', ')}${t.length > 8 ? ', …' : ''}`;
  const why = e.reasons.map((r) => `\nnot merged: ${r} (${REASONS[r as keyof typeof REASONS] ?? ''})`).join('');
  return `${head}\n${what}${why}`;
}

/**
 * A chain's ops on up to three lines: the sequence (runs folded), else its
 * repeating pattern, else a histogram.
 */
function opSummary(ops: readonly string[], maxChars: number): string[] {
  const fits = (lines: string[]): boolean => lines.length <= 3 && lines.every((l) => l.length <= maxChars);
  const seq = wrapArrows(foldRuns(ops), maxChars);
  if (fits(seq)) return seq;
  for (let p = 2; p <= ops.length / 2; p++) {
    if (!ops.every((op, i) => op === ops[i % p])) continue;
    const reps = Math.floor(ops.length / p);
    const pattern = foldRuns(ops.slice(0, p));
    const lines = wrapArrows(pattern, maxChars - 1, '(');
    lines[lines.length - 1] += `) ×${reps}`;
    const rest = ops.slice(reps * p);
    if (rest.length) {
      const tail = `then ${foldRuns(rest).join(' → ')}`;
      lines.push(tail.length <= maxChars ? tail : `then … → ${rest[rest.length - 1]}`);
    }
    if (fits(lines)) return lines;
    break;
  }
  return opHistogram(ops);
}

function foldRuns(ops: readonly string[]): string[] {
  const runs: string[] = [];
  for (let i = 0; i < ops.length;) {
    let j = i;
    while (j < ops.length && ops[j] === ops[i]) j++;
    runs.push(j - i > 1 ? `${ops[i]}×${j - i}` : ops[i]!);
    i = j;
  }
  return runs;
}

function wrapArrows(items: readonly string[], maxChars: number, first = ''): string[] {
  const lines: string[] = [];
  let cur = first;
  let empty = true;
  items.forEach((r, k) => {
    const piece = k < items.length - 1 ? `${r} →` : r;
    if (!empty && cur.length + 1 + piece.length > maxChars) {
      lines.push(cur);
      cur = ` ${piece}`;
    } else cur = empty ? `${cur}${piece}` : `${cur} ${piece}`;
    empty = false;
  });
  lines.push(cur);
  return lines;
}

function opHistogram(ops: readonly string[]): string[] {
  const h = histogram(ops);
  const lines = h.slice(0, 3).map(([op, k]) => `${op} ×${k}`);
  if (h.length > 3) lines.push(`+${plural(h.length - 3, 'more op type')}`);
  return lines;
}

// ---------------------------------------------------------------------------
// The page

interface Ctx {
  readonly report: HtmlReportInput;
  readonly view: GraphView;
  readonly info: ReadonlyMap<string, NodeInfo>;
  readonly show: (name: string) => string;
  /** Detail panels, as <template> elements. */
  readonly templates: string[];
  /** Node -> its box in the drawing of the box it belongs to (cluster or TF chain, region, group). */
  readonly subBox: Map<string, string>;
}

interface NodeInfo {
  readonly op: string;
  readonly cluster: number;
  readonly reason?: string;
  readonly message?: string;
  /** Hidden from the drawings: a constant or computed only from constants. */
  readonly hidden: boolean;
}

export function renderHtml(report: HtmlReportInput, view: GraphView, options: HtmlOptions = {}): string {
  const info = nodeInfos(report, view);
  const scope = commonScope(view.nodes.map((n) => n.name));
  const show = (name: string): string => (scope && name.startsWith(scope) ? name.slice(scope.length) : name);

  const search: Record<string, [string, string]> = {};
  const templates: string[] = [];
  const ctx: Ctx = { report, view, info, show, templates, subBox: new Map() };
  const main = mainDrawing(ctx, search);
  const mainSvg = renderSvg(main, 'graph', 'main');

  const title = options.title ? `tf2tvm inspect: ${options.title}` : 'tf2tvm inspect';
  const summary = summaryLine(
    { nodes: report.nodes, clusteredNodes: report.clusteredNodes, unclustered: report.unclustered as Unclustered[] },
    report.clusters.length,
  );
  const legend = legendHtml(report, main, scope);
  const data = { nodes: search, boxes: main.boxes.length };
  const json = JSON.stringify(data).replace(/</g, '\\u003c');

  return renderPage({
    title: esc(title),
    summary: esc(summary),
    legend,
    graph: mainSvg,
    templates: templates.join('\n'),
    data: json,
  });
}

/** Every node's op, cluster, reason, and whether it is drawn; in the view's topological order, so "computed only from constants" sees the inputs first. */
function nodeInfos(report: HtmlReportInput, view: GraphView): Map<string, NodeInfo> {
  const clusterIndex = new Map<string, number>();
  report.clusters.forEach((c, i) => c.nodes.forEach((m) => clusterIndex.set(m, i)));
  const left = new Map(report.unclustered.map((u) => [u.node, u]));
  const info = new Map<string, NodeInfo>();
  for (const n of view.nodes) {
    const cluster = clusterIndex.get(n.name) ?? -1;
    const u = left.get(n.name);
    const preds = [...n.inputs.map((t) => t.node), ...n.controlInputs];
    const constLike = n.op === 'Const' || (n.op !== 'Placeholder' && preds.length > 0 && preds.every((p) => info.get(p)?.hidden === true));
    const hidden = cluster >= 0 ? constLike : u ? u.reason === 'constant' : n.op === 'Const';
    info.set(n.name, { op: n.op, cluster, hidden, ...(cluster < 0 ? { reason: u?.reason ?? NO_REASON, message: u?.message ?? '' } : {}) });
  }
  return info;
}

/** A scope most node names share (e.g. "resnet50_1/"), shown once instead of on every box. */
function commonScope(names: readonly string[]): string {
  const counts = histogram(names.filter((n) => n.includes('/')).map((n) => n.slice(0, n.indexOf('/') + 1)));
  const top = counts[0];
  return top && top[1] >= 2 && top[1] * 2 >= names.length ? top[0] : '';
}

function mainDrawing(ctx: Ctx, search: Record<string, [string, string]>): Drawing {
  const { report, view, info } = ctx;
  const units: Unit[] = [];
  const unitOf = new Map<string, number>();
  const firstOrder = (names: readonly string[]): number => Math.min(...names.map((m) => (view.has(m) ? view.node(m).order : Infinity)));
  report.clusters.forEach((c, i) => {
    const k = units.length;
    units.push({ kind: 'cluster', nodes: c.nodes, order: firstOrder(c.nodes), collapsible: false, signature: c.name, cluster: i });
    for (const m of c.nodes) unitOf.set(m, k);
  });
  // Both ends of an edge form-clusters refused stay visible on their own.
  const pinned = new Set<string>();
  for (const e of report.unmerged_edges) pinned.add(e.from).add(e.to);
  for (const n of view.nodes) {
    const i = info.get(n.name)!;
    if (i.cluster >= 0 || i.hidden) continue;
    unitOf.set(n.name, units.length);
    units.push({ kind: 'tf', nodes: [n.name], order: n.order, collapsible: !pinned.has(n.name), signature: `${n.op}/${i.reason}` });
  }
  const es = new EdgeSet();
  for (const n of view.nodes) {
    const v = unitOf.get(n.name);
    if (v === undefined) continue;
    for (const t of n.inputs) es.add(unitOf.get(t.node) ?? -1, v, `${t.node}:${t.index}`, false);
    for (const c of n.controlInputs) es.add(unitOf.get(c) ?? -1, v, `^${c}`, true);
  }
  for (const e of report.unmerged_edges) es.mark(unitOf.get(e.from) ?? -1, unitOf.get(e.to) ?? -1, e.reason);
  const { blocks, blockOf } = collapse(units, es.list, { regionsAbove: REGIONS_ABOVE });

  const boxes: Box[] = blocks.map((b, k) => {
    const first = units[b.units[0]!]!;
    if (first.kind === 'cluster') return clusterBox(ctx, `m${k}`, first.cluster!, first.order);
    return tfBox(ctx, `m${k}`, b, units, true);
  });
  for (const [name, u] of unitOf) search[name] = [boxes[blockOf[u]!]!.id, ctx.subBox.get(name) ?? ''];
  for (const [name, i] of info) if (i.hidden && i.cluster < 0) search[name] = ['', i.reason ?? ''];
  const edges = es.lift(blockOf).map((e) => ({ ...e, tip: edgeTip(boxes, e) }));
  return { boxes, edges, layout: layeredLayout(boxes, edges, MAIN_LAYOUT) };
}

function clusterBox(ctx: Ctx, id: string, ci: number, order: number): Box {
  const { report, info, show } = ctx;
  const c = report.clusters[ci]!;
  const color = clusterColor(ci);
  const ops = histogram(c.nodes.map((m) => info.get(m)?.op ?? '?'));
  const lines: Line[] = ops.slice(0, 5).map(([op, k]) => ({ text: `${op.padEnd(15)} ×${k}` }));
  if (ops.length > 5) lines.push({ text: `+${plural(ops.length - 5, 'more op type')}`, cls: 'dim' });
  const io = (label: string, list: readonly string[]): Line => ({
    text: `${label} ${list.length ? list.map(show).join(', ') : '—'}`,
    cls: 'io',
  });
  lines.push(io('in: ', c.inputs), io('out:', c.outputs));
  lines.push({ text: '▸ click to expand', cls: 'hint' });
  const tip =
    `${c.name}: ${plural(c.nodes.length, 'node')}, ${plural(c.inputs.length, 'input')}, ${plural(c.outputs.length, 'output')}\n` +
    ops.map(([op, k]) => `${op} ×${k}`).join(', ');
  const detail = `t-${id}`;
  ctx.templates.push(clusterTemplate(ctx, detail, id, ci, ops));
  const box: Box = {
    id,
    kind: 'cluster',
    key: c.name,
    header: { text: c.name, right: plural(c.nodes.length, 'node'), fill: color },
    lines,
    fill: mix(color, 0.88),
    stroke: color,
    strokeWidth: 2,
    tip,
    order,
    nodes: c.nodes,
    detail,
    w: 0,
    h: 0,
  };
  sizeBox(box, 210, 300);
  return box;
}

interface Row {
  readonly name: string;
  readonly op: string;
  readonly reason: string;
  readonly message: string;
}

/** A box of nodes left in TensorFlow: one node, a chain, a region or a group. */
function tfBox(ctx: Ctx, id: string, b: Block, units: readonly Unit[], withDetail: boolean): Box {
  const { info } = ctx;
  const names = b.units.map((u) => units[u]!.nodes[0]!);
  const order = Math.min(...b.units.map((u) => units[u]!.order));
  const rows: Row[] = names.map((n) => {
    const i = info.get(n)!;
    return { name: n, op: i.op, reason: i.reason ?? NO_REASON, message: i.message ?? '' };
  });
  const reasons = histogram(rows.map((r) => r.reason));
  const detail = withDetail ? `t-${id}` : undefined;
  const base = {
    id,
    key: names[0]!,
    fill: '#ffffff',
    strokeWidth: 1.5,
    order,
    nodes: names,
    reasons: reasons.map(([r]) => r),
    w: 0,
    h: 0,
    ...(detail ? { detail } : {}),
  };
  const look =
    b.kind === 'single'
      ? tfSingleLook(ctx, rows[0]!)
      : b.kind === 'group'
        ? tfGroupLook(ctx, b, units, rows, reasons)
        : tfSpanLook(ctx, b.kind, rows, reasons);
  const box: Box = { ...base, ...look };
  sizeBox(box, 150, 290);
  if (detail) ctx.templates.push(tfTemplate(ctx, detail, id, b, rows));
  return box;
}

/** What tells the kinds of TensorFlow boxes apart. */
type TfLook = Pick<Box, 'kind' | 'header' | 'lines' | 'stroke' | 'dashed' | 'tip'>;

function tfSingleLook(ctx: Ctx, r: Row): TfLook {
  return {
    kind: 'tf',
    header: { text: r.reason, fill: reasonColor(r.reason) },
    lines: [
      { text: ctx.show(r.name), cls: 'name' },
      { text: r.op, cls: 'op' },
    ],
    stroke: reasonColor(r.reason),
    tip: `${r.name} (${r.op}) stays in TensorFlow\n${r.reason}: ${r.message}`,
  };
}

/** A chain or a region: first node, its ops, last node, reasons. */
function tfSpanLook(ctx: Ctx, kind: 'chain' | 'region', rows: readonly Row[], reasons: readonly [string, number][]): TfLook {
  const { show } = ctx;
  const ops = rows.map((r) => r.op);
  const color = reasonsColor(reasons);
  return {
    kind: `tf ${kind}`,
    header: { text: kind === 'chain' ? 'TF chain' : 'TF region', right: plural(rows.length, 'node'), fill: color },
    lines: [
      { text: show(rows[0]!.name), cls: 'name' },
      ...(kind === 'chain' ? opSummary(ops, 36) : opHistogram(ops)).map((t) => ({ text: t, cls: 'op' })),
      { text: `→ ${show(rows[rows.length - 1]!.name)}`, cls: 'name' },
      ...reasonLines(reasons),
    ],
    stroke: color,
    dashed: true,
    tip: `${kind === 'chain' ? 'a chain' : 'a region'} of ${rows.length} nodes left in TensorFlow\n${rowsTip(rows, 30)}`,
  };
}

function tfGroupLook(ctx: Ctx, b: Block, units: readonly Unit[], rows: readonly Row[], reasons: readonly [string, number][]): TfLook {
  const parts = b.parts!;
  const partOps = parts[0]!.map((u) => ctx.info.get(units[u]!.nodes[0]!)!.op);
  const what = partOps.length === 1 ? partOps[0]! : `${partOps[0]}→…→${partOps[partOps.length - 1]}`;
  const color = reasonsColor(reasons);
  return {
    kind: 'tf group',
    header: { text: `${parts.length} × ${what}`, fill: color },
    lines: [{ text: `${ctx.show(rows[0]!.name)} …`, cls: 'name' }, ...reasonLines(reasons)],
    stroke: color,
    dashed: true,
    tip: `${parts.length} alike parts left in TensorFlow, with the same inputs and consumers\n${rowsTip(rows, 30)}`,
  };
}

/** The colour of a box of nodes with these reasons: the reason's if only one. */
function reasonsColor(reasons: readonly [string, number][]): string {
  return reasons.length === 1 ? reasonColor(reasons[0]![0]) : '#5f6368';
}

function reasonLines(reasons: readonly [string, number][]): Line[] {
  const lines: Line[] = reasons.slice(0, 3).map(([r, k]) => ({ text: `■ ${r} ×${k}`, color: reasonInk(r), cls: 'why' }));
  if (reasons.length > 3) lines.push({ text: `+${plural(reasons.length - 3, 'more reason')}`, cls: 'dim' });
  return lines;
}

function rowsTip(rows: readonly Row[], max: number): string {
  return (
    rows
      .slice(0, max)
      .map((r) => `${r.name} (${r.op}): ${r.reason}`)
      .join('\n') + (rows.length > max ? `\n… ${rows.length - max} more` : '')
  );
}

function tfTemplate(ctx: Ctx, id: string, boxId: string, b: Block, rows: readonly Row[]): string {
  const head =
    b.kind === 'single'
      ? esc(rows[0]!.name)
      : b.kind === 'group'
        ? `${rows.length} nodes left in TensorFlow (${b.parts!.length} alike parts with the same neighbours)`
        : `a ${b.kind} of ${rows.length} nodes left in TensorFlow`;
  const reasons = histogram(rows.map((r) => r.reason))
    .map(([r, k]) => `<span class="code" style="background:${reasonColor(r)};color:${ink(reasonColor(r))}">${esc(r)}</span> ×${k}`)
    .join(' ');
  const sub =
    rows.length > 1
      ? `<div class="sub">${renderSvg(
          tfDrawing(
            ctx,
            boxId,
            rows.map((r) => r.name),
          ),
          '',
          'sub',
        )}</div>`
      : '';
  const body = rows
    .map(
      (r) =>
        `<tr><td class="mono">${esc(r.name)}</td><td class="mono">${esc(r.op)}</td><td><span class="code" style="background:${reasonColor(r.reason)};color:${ink(reasonColor(r.reason))}">${esc(r.reason)}</span></td><td>${esc(r.message)}</td></tr>`,
    )
    .join('');
  const table = `<table class="nodes"><thead><tr><th>node</th><th>op</th><th>reason</th><th>why</th></tr></thead><tbody>${body}</tbody></table>`;
  return (
    `<template id="${id}"><h2>${head}</h2><p>${reasons}</p>${sub}` +
    (rows.length > 1 ? `<details><summary>all ${plural(rows.length, 'node')}</summary>${table}</details>` : table) +
    '</template>'
  );
}

/** The inside of a TensorFlow chain, region or group box (chains and groups only). */
function tfDrawing(ctx: Ctx, boxId: string, names: readonly string[]): Drawing {
  const { view, info } = ctx;
  const units: Unit[] = names.map((n) => ({
    kind: 'tf',
    nodes: [n],
    order: view.node(n).order,
    collapsible: true,
    signature: `${info.get(n)!.op}/${info.get(n)!.reason}`,
  }));
  const unitOf = new Map(names.map((n, i) => [n, i]));
  const es = new EdgeSet();
  names.forEach((n, v) => {
    const g = view.node(n);
    for (const t of g.inputs) es.add(unitOf.get(t.node) ?? -1, v, `${t.node}:${t.index}`, false);
    for (const c of g.controlInputs) es.add(unitOf.get(c) ?? -1, v, `^${c}`, true);
  });
  const { blocks, blockOf } = collapse(units, es.list);
  const boxes = blocks.map((b, k) => {
    const box = tfBox(ctx, `${boxId}-${k}`, b, units, false);
    for (const n of box.nodes) ctx.subBox.set(n, box.id);
    return box;
  });
  const edges = es.lift(blockOf).map((e) => ({ ...e, tip: edgeTip(boxes, e) }));
  return { boxes, edges, layout: layeredLayout(boxes, edges, SUB_LAYOUT) };
}

function clusterTemplate(ctx: Ctx, id: string, boxId: string, ci: number, ops: readonly [string, number][]): string {
  const { report, info } = ctx;
  const c = report.clusters[ci]!;
  const color = clusterColor(ci);
  const d = clusterDrawing(ctx, boxId, ci);
  const hiddenCount = c.nodes.filter((m) => info.get(m)?.hidden).length;
  const members = c.nodes
    .map(
      (m) =>
        `<tr><td class="mono">${esc(m)}</td><td class="mono">${esc(info.get(m)?.op ?? '?')}</td><td>${info.get(m)?.hidden ? 'weight (not drawn)' : ''}</td></tr>`,
    )
    .join('');
  const list = (xs: readonly string[]): string => (xs.length ? xs.map((x) => `<code>${esc(x)}</code>`).join(' ') : '—');
  return (
    `<template id="${id}"><h2><span class="sw" style="background:${color}"></span>${esc(c.name)}</h2>` +
    `<p>${plural(c.nodes.length, 'node')} · ${plural(c.inputs.length, 'input')} · ${plural(c.outputs.length, 'output')}${hiddenCount ? ` · ${plural(hiddenCount, 'weight node')} not drawn` : ''}</p>` +
    `<p><b>inputs</b> ${list(c.inputs)}</p><p><b>outputs</b> ${list(c.outputs)}</p>` +
    `<p class="hist">${ops.map(([op, k]) => `<span>${esc(op)} ×${k}</span>`).join(' ')}</p>` +
    `<div class="sub">${renderSvg(d, '', 'sub')}</div>` +
    `<details><summary>all ${plural(c.nodes.length, 'member')}</summary><table class="nodes"><thead><tr><th>node</th><th>op</th><th></th></tr></thead><tbody>${members}</tbody></table></details>` +
    `</template>`
  );
}

/** A cluster's own drawing: its members (chains and groups collapsed), input and output ports. */
function clusterDrawing(ctx: Ctx, boxId: string, ci: number): Drawing {
  const { units, es } = clusterUnits(ctx, ci);
  const { blocks, blockOf } = collapse(units, es.list);
  const boxes: Box[] = blocks.map((b, k) => {
    const id = `${boxId}-${k}`;
    const first = units[b.units[0]!]!;
    const order = Math.min(...b.units.map((u) => units[u]!.order));
    return first.kind === 'port' ? portBox(id, first.label!, order) : memberBox(ctx, id, ci, b, units, order);
  });
  const edges = es.lift(blockOf).map((e) => ({ ...e, tip: edgeTip(boxes, e) }));
  return { boxes, edges, layout: layeredLayout(boxes, edges, SUB_LAYOUT) };
}

/** A cluster's drawn members and its ports (inputs first, outputs last), with the edges between them. */
function clusterUnits(ctx: Ctx, ci: number): { units: Unit[]; es: EdgeSet } {
  const { report, view, info, show } = ctx;
  const c = report.clusters[ci]!;
  const units: Unit[] = [];
  const unitOf = new Map<string, number>();
  const inputs = new Map<string, number>();
  for (const t of c.inputs) {
    const producer = t.slice(0, t.lastIndexOf(':'));
    const order = view.has(producer) ? view.node(producer).order : -1;
    inputs.set(t, units.length);
    units.push({ kind: 'port', nodes: [], order, collapsible: false, signature: t, label: `in ${show(t)}` });
  }
  for (const m of c.nodes) {
    if (!view.has(m) || info.get(m)?.hidden) continue;
    unitOf.set(m, units.length);
    units.push({ kind: 'member', nodes: [m], order: view.node(m).order, collapsible: true, signature: info.get(m)!.op, cluster: ci });
  }
  const es = new EdgeSet();
  for (const [m, v] of unitOf) {
    const n = view.node(m);
    for (const t of n.inputs) {
      const name = `${t.node}:${t.index}`;
      es.add(unitOf.get(t.node) ?? inputs.get(name) ?? -1, v, name, false);
    }
    for (const ctl of n.controlInputs) es.add(unitOf.get(ctl) ?? -1, v, `^${ctl}`, true);
  }
  for (const t of c.outputs) {
    const producer = t.slice(0, t.lastIndexOf(':'));
    const p = unitOf.get(producer);
    const k = units.length;
    units.push({
      kind: 'port',
      nodes: [],
      order: (view.has(producer) ? view.node(producer).order : 0) + 0.5,
      collapsible: false,
      signature: t,
      label: `out ${show(t)}`,
    });
    if (p !== undefined) es.add(p, k, t, false);
  }
  return { units, es };
}

/** A cluster input or output, as a pill. */
function portBox(id: string, label: string, order: number): Box {
  const box: Box = {
    id,
    kind: 'port',
    key: label,
    lines: [{ text: label }],
    fill: '#ffffff',
    stroke: '#3c4043',
    strokeWidth: 1.2,
    pill: true,
    tip: label,
    order,
    nodes: [],
    w: 0,
    h: 0,
  };
  sizeBox(box, 80, 260);
  return box;
}

/** Cluster members: one node, a chain, a region or a group; records where each member is drawn. */
function memberBox(ctx: Ctx, id: string, ci: number, b: Block, units: readonly Unit[], order: number): Box {
  const { info, show } = ctx;
  const color = clusterColor(ci);
  const names = b.units.map((u) => units[u]!.nodes[0]!);
  for (const nm of names) ctx.subBox.set(nm, id);
  const opsOf = names.map((nm) => info.get(nm)!.op);
  const tip =
    names
      .slice(0, 40)
      .map((nm) => `${nm} (${info.get(nm)!.op})`)
      .join('\n') + (names.length > 40 ? `\n… ${names.length - 40} more` : '');
  const base = { id, key: names[0]!, fill: mix(color, 0.88), stroke: color, strokeWidth: 1.2, tip, order, nodes: names, w: 0, h: 0 };
  let box: Box;
  if (b.kind === 'single') {
    box = {
      ...base,
      kind: 'member',
      lines: [
        { text: show(names[0]!), cls: 'name' },
        { text: opsOf[0]!, cls: 'op' },
      ],
    };
  } else if (b.kind === 'group') {
    const parts = b.parts!;
    box = {
      ...base,
      kind: 'member group',
      header: { text: `${parts.length} × ${opsOf[0]}${parts[0]!.length > 1 ? '→…' : ''}`, fill: color },
      lines: [{ text: `${show(names[0]!)} …`, cls: 'name' }],
    };
  } else {
    box = {
      ...base,
      kind: `member ${b.kind}`,
      header: { text: b.kind, right: plural(names.length, 'op'), fill: color },
      lines: [
        { text: show(names[0]!), cls: 'name' },
        ...(b.kind === 'chain' ? opSummary(opsOf, 36) : opHistogram(opsOf)).map((t) => ({ text: t, cls: 'op' })),
        { text: `→ ${show(names[names.length - 1]!)}`, cls: 'name' },
      ],
    };
  }
  sizeBox(box, 140, 290);
  return box;
}

function legendHtml(report: HtmlReportInput, main: Drawing, scope: string): string {
  const reasons = histogram(report.unclustered.map((u) => u.reason));
  const rows = reasons
    .map(
      ([r, k]) =>
        `<tr data-reason="${esc(r)}"><td><span class="sw" style="background:${reasonColor(r)}"></span></td><td><span class="mono">${esc(r)}</span><br><span class="desc">${esc(REASONS[r as keyof typeof REASONS] ?? '')}${r === 'constant' ? ' (not drawn)' : ''}</span></td><td class="num">${k}</td></tr>`,
    )
    .join('');
  const edgeReasons = histogram(report.unmerged_edges.map((e) => e.reason));
  const edgeRows = edgeReasons
    .map(
      ([r, k]) =>
        `<tr data-reason="${esc(r)}"><td><span class="ln short" style="border-color:${reasonColor(r)}"></span></td><td><span class="mono">${esc(r)}</span><br><span class="desc">${esc(REASONS[r as keyof typeof REASONS] ?? '')}</span></td><td class="num">${k}</td></tr>`,
    )
    .join('');
  const clusterBoxes = main.boxes.filter((b) => b.kind === 'cluster');
  const colorOf = new Map(report.clusters.map((c, i) => [c.name, clusterColor(i)]));
  const maxList = 40;
  const clusters = clusterBoxes
    .slice(0, maxList)
    .map(
      (b) =>
        `<li><a href="#${esc(b.key)}" data-open="${b.id}"><span class="sw" style="background:${colorOf.get(b.key)}"></span>${esc(b.key)}</a> <span class="dim">${plural(b.nodes.length, 'node')}</span></li>`,
    )
    .join('');
  const drawn = main.boxes.length;
  return [
    '<h2>Left in TensorFlow</h2>',
    rows ? `<table class="legend">${rows}</table>` : '<p class="dim">nothing: every node is in a cluster</p>',
    '<h2>Edges not merged</h2>',
    edgeRows ? `<table class="legend">${edgeRows}</table>` : '<p class="dim">none</p>',
    `<h2>Clusters (${report.clusters.length})</h2>`,
    clusters
      ? `<ul class="clusters">${clusters}${clusterBoxes.length > maxList ? `<li class="dim">… ${clusterBoxes.length - maxList} more</li>` : ''}</ul>`
      : '<p class="dim">none</p>',
    '<h2>How to read it</h2>',
    '<ul class="notes">',
    '<li><span class="sw" style="background:#4e79a7"></span>a coloured box is a cluster (run by TVM); click it for its own graph</li>',
    '<li><span class="sw hollow"></span>a white box is a node left in TensorFlow, headed by its reason code</li>',
    `<li>dashed white boxes collapse TensorFlow nodes: a chain of ${MIN_BLOCK}+, ${MIN_BLOCK}+ alike ones with the same neighbours, or (on large graphs) a region with one entry and one exit; click for the nodes inside</li>`,
    '<li>Const nodes and nodes computed only from constants are not drawn (they reach clusters as weights)</li>',
    '<li><span class="ln"></span>data edge <span class="ln ctl"></span>control edge <span class="ln" style="border-color:#e7298a"></span>not merged</li>',
    scope ? `<li>names are shown without their common scope <code>${esc(scope)}</code></li>` : '',
    `<li>${plural(drawn, 'box')} drawn for ${plural(report.nodes, 'node')}</li>`,
    '</ul>',
  ].join('\n');
}
