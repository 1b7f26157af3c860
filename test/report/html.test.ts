// `tf2tvm inspect --html`: the page's content (clusters, reason codes, the
// edge form-clusters refused), its determinism, and what a real browser makes
// of it. Chromium (Debian's /usr/bin/chromium, installed by scripts/setup.sh)
// loads the page headless: --dump-dom shows the DOM after the page script
// ran, --screenshot gives a PNG that must have the window's size and not be
// blank. A generated ResNet-like graph of ~1500 nodes checks that collapsing
// keeps the drawing bounded.

import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { inflateSync } from 'node:zlib';
import { execa } from 'execa';
import { DataType, encodeGraphDef, encodeTensor, makeAttr, makeConst, makeGraphDef, makeNode, type NodeDef } from '../../ir/tf/graphdef/io.js';
import { collapse, type CUnit } from '../../src/report/collapse.js';
import { fixture, tempDir, tf2tvm } from '../helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const WIDTH = 1600;
const HEIGHT = 1200;

// ---------------------------------------------------------------------------
// Browser and PNG helpers

async function chromium(args: readonly string[]): Promise<string> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/setup.sh as root (it installs Debian's chromium)`);
  const profile = tempDir('tf2tvm-chromium-');
  try {
    const r = await execa(
      CHROMIUM,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--user-data-dir=${profile}`,
        ...args,
      ],
      { reject: false, timeout: 120000, stdin: 'ignore' },
    );
    if (r.exitCode !== 0) throw new Error(`chromium failed (${r.exitCode}):\n${r.stderr}`);
    return String(r.stdout);
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

const url = (file: string, hash = ''): string => pathToFileURL(file).href + hash;

async function screenshot(html: string, png: string, hash = ''): Promise<void> {
  await chromium([`--screenshot=${png}`, `--window-size=${WIDTH},${HEIGHT}`, url(html, hash)]);
}

async function dumpDom(html: string, hash = ''): Promise<string> {
  return chromium([`--window-size=${WIDTH},${HEIGHT}`, '--dump-dom', url(html, hash)]);
}

interface Image {
  width: number;
  height: number;
  /** RGBA, 8 bits a channel. */
  pixels: Uint8Array;
}

/** A minimal PNG decoder: 8-bit RGB or RGBA, not interlaced (what Chromium writes). */
function readPng(file: string): Image {
  const buf = readFileSync(file);
  expect(buf.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  let pos = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const depth = data[8];
      const colorType = data[9];
      expect(depth).toBe(8);
      expect(data[12]).toBe(0); // no interlace
      channels = colorType === 6 ? 4 : colorType === 2 ? 3 : 0;
      if (!channels) throw new Error(`unexpected PNG colour type ${colorType}`);
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    pos += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = new Uint8Array(width * height * 4);
  let prev = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const cur = new Uint8Array(stride);
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? cur[i - channels]! : 0;
      const b = prev[i]!;
      const c = i >= channels ? prev[i - channels]! : 0;
      let p: number;
      switch (filter) {
        case 0:
          p = 0;
          break;
        case 1:
          p = a;
          break;
        case 2:
          p = b;
          break;
        case 3:
          p = (a + b) >> 1;
          break;
        case 4: {
          const q = a + b - c;
          const pa = Math.abs(q - a);
          const pb = Math.abs(q - b);
          const pc = Math.abs(q - c);
          p = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default:
          throw new Error(`bad PNG filter ${filter}`);
      }
      cur[i] = (line[i]! + p) & 0xff;
    }
    for (let x = 0; x < width; x++) {
      for (let k = 0; k < 3; k++) out[(y * width + x) * 4 + k] = cur[x * channels + k]!;
      out[(y * width + x) * 4 + 3] = channels === 4 ? cur[x * channels + 3]! : 255;
    }
    prev = cur;
  }
  return { width, height, pixels: out };
}

/** Distinct colours, and the share of pixels that differ from the most common one. */
function colourStats(img: Image): { colours: number; notBackground: number } {
  const counts = new Map<number, number>();
  const px = new DataView(img.pixels.buffer, img.pixels.byteOffset, img.pixels.byteLength);
  for (let i = 0; i < img.width * img.height; i++) {
    const v = px.getUint32(i * 4);
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  const top = Math.max(...counts.values());
  return { colours: counts.size, notBackground: 1 - top / (img.width * img.height) };
}

async function expectGoodScreenshot(html: string, png: string, hash = ''): Promise<Image> {
  await screenshot(html, png, hash);
  expect(existsSync(png)).toBe(true);
  const img = readPng(png);
  expect([img.width, img.height]).toEqual([WIDTH, HEIGHT]);
  const s = colourStats(img);
  expect(s.colours).toBeGreaterThan(20);
  expect(s.notBackground).toBeGreaterThan(0.05);
  return img;
}

// ---------------------------------------------------------------------------
// Page helpers

/** The main drawing (outside the <template>s of the detail panels). */
function mainSvg(html: string): string {
  const m = /<svg[^>]*id="graph"[\s\S]*?<\/svg>/.exec(html);
  if (!m) throw new Error('no main svg');
  return m[0];
}

function boxes(svg: string): { id: string; key: string; cls: string }[] {
  return [...svg.matchAll(/<g class="box ([^"]*)" id="([^"]+)" data-key="([^"]*)"/g)].map((m) => ({ cls: m[1]!, id: m[2]!, key: unescape(m[3]!) }));
}

function unescape(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

interface Report {
  nodes: number;
  clusters: { name: string; nodes: string[] }[];
  unclustered: { node: string; op: string; reason: string }[];
  unmerged_edges: { from: string; to: string; reason: string }[];
}

async function inspect(model: string, html: string, extra: readonly string[] = []): Promise<{ text: string; report: Report; page: string }> {
  const r = await tf2tvm(['inspect', model, '--html', html, ...extra]);
  expect(r.stderr).not.toMatch(/error/);
  expect(r.exitCode).toBe(0);
  const j = await tf2tvm(['inspect', model, '--json', ...extra]);
  expect(j.exitCode).toBe(0);
  return { text: r.stdout, report: JSON.parse(j.stdout) as Report, page: readFileSync(html, 'utf8') };
}

// ---------------------------------------------------------------------------
// Fixtures

let dir: string;
beforeAll(() => {
  dir = tempDir('tf2tvm-html-');
});
afterAll(() => {
  // TF2TVM_KEEP_REPORTS=<folder> keeps the pages and screenshots for a look.
  const keep = process.env.TF2TVM_KEEP_REPORTS;
  if (keep) cpSync(dir, keep, { recursive: true });
  rmSync(dir, { recursive: true, force: true });
});

test('trap_diamond: clusters, reason codes and the would-form-cycle edge are on the page', async () => {
  const html = path.join(dir, 'trap.html');
  const { text, report, page } = await inspect(fixture('trap_diamond'), html);
  // Self-contained: nothing is fetched.
  expect(page).not.toMatch(/<(link|img|iframe)\b|src=|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  // The summary line, as the text output prints it.
  const summary = text.split('\n')[0]!;
  expect(summary).toBe('7 of 8 compute nodes (87.5%) in 2 clusters; 2 constants and 1 input apart');
  expect(page).toContain(`<p class="summary" id="summary">${summary}</p>`);

  const svg = mainSvg(page);
  const drawn = boxes(svg);
  const byKey = new Map(drawn.map((b) => [b.key, b]));
  for (const c of report.clusters) expect(byKey.get(c.name)?.cls).toBe('cluster');
  // Every node left in TensorFlow is drawn with its reason code, except constants.
  for (const u of report.unclustered) {
    if (u.reason === 'constant') {
      expect(byKey.has(u.node)).toBe(false);
      continue;
    }
    const box = byKey.get(u.node);
    expect(box).toBeDefined();
    const g = new RegExp(`<g class="box [^"]*" id="${box!.id}"[\\s\\S]*?</g>`).exec(svg)![0];
    expect(g).toContain(`>${u.reason}</text>`);
  }
  expect(svg).toContain('>unsupported-op</text>');
  expect(svg).toContain('>graph-input</text>');
  // The refused edge: between the two clusters, in its own style, labelled.
  expect(report.unmerged_edges).toEqual([{ from: 'branch_a/relu', to: 'join', reason: 'would-form-cycle' }]);
  const edge = /<path class="edge unmerged"[^>]*data-from="([^"]+)" data-to="([^"]+)" data-reason="would-form-cycle"/.exec(svg);
  expect(edge).not.toBeNull();
  expect(edge![1]).toBe(byKey.get('cluster_0')!.id);
  expect(edge![2]).toBe(byKey.get('cluster_1')!.id);
  expect(svg).toMatch(/<g class="elabel" data-reason="would-form-cycle"[^>]*>.*✕ would-form-cycle<\/text>/);
  // The legend counts reasons.
  expect(page).toMatch(/<tr data-reason="unsupported-op">[\s\S]*?<td class="num">1<\/td>/);
  expect(page).toMatch(/<tr data-reason="constant">[\s\S]*?<td class="num">2<\/td>/);
  expect(page).toMatch(/<tr data-reason="would-form-cycle">[\s\S]*?<td class="num">1<\/td>/);

  // In the browser: the script ran and drew every box; the page is not blank.
  const dom = await dumpDom(html);
  expect(dom).toContain(`data-ready="${drawn.length}"`);
  expect(dom).toContain('cluster_1');
  await expectGoodScreenshot(html, path.join(dir, 'trap.png'));
  // #cluster_1 opens the cluster's own drawing in the panel.
  const opened = await dumpDom(html, '#cluster_1');
  const panel = /<div id="panel"[^>]*>[\s\S]*<\/div>/.exec(opened)![0];
  expect(panel.startsWith('<div id="panel">')).toBe(true); // not hidden
  expect(panel).toContain('class="sub"');
  expect(panel).toContain('data-key="fc2/matmul"');
  expect(panel).toContain('in branch_b/lgamma:0');
  await expectGoodScreenshot(html, path.join(dir, 'trap-cluster_1.png'), '#cluster_1');
});

test('conv_mlp: one cluster box; its members and ports in the detail drawing', async () => {
  const html = path.join(dir, 'conv_mlp.html');
  const { report, page } = await inspect(fixture('conv_mlp'), html);
  const drawn = boxes(mainSvg(page));
  expect(drawn.map((b) => b.key).sort()).toEqual(['cluster_0', 'x']);
  expect(report.clusters).toHaveLength(1);
  const c = report.clusters[0]!;
  const box = drawn.find((b) => b.key === 'cluster_0')!;
  const tpl = new RegExp(`<template id="t-${box.id}">[\\s\\S]*?</template>`).exec(page)![0];
  expect(tpl).toContain(`${c.nodes.length} nodes`);
  for (const m of c.nodes) expect(tpl).toContain(`<td class="mono">${m}</td>`);
  expect(tpl).toContain('in x:0');
  expect(tpl).toContain('out softmax:0');
  const dom = await dumpDom(html);
  expect(dom).toContain('data-ready="2"');
  await expectGoodScreenshot(html, path.join(dir, 'conv_mlp.png'), '#cluster_0');
});

test('the page is deterministic and the other outputs do not change', async () => {
  const a = path.join(dir, 'a.html');
  const b = path.join(dir, 'b.html');
  const ra = await tf2tvm(['inspect', fixture('trap_diamond'), '--explain', '--html', a]);
  const rb = await tf2tvm(['inspect', fixture('trap_diamond'), '--explain', '--html', b]);
  const plain = await tf2tvm(['inspect', fixture('trap_diamond'), '--explain']);
  expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
  expect(ra.stdout).toBe(plain.stdout);
  expect(rb.stdout).toBe(plain.stdout);
  const ja = await tf2tvm(['inspect', fixture('trap_diamond'), '--json', '--html', a]);
  const jb = await tf2tvm(['inspect', fixture('trap_diamond'), '--json']);
  expect(ja.stdout).toBe(jb.stdout);
  // Written by rename: no temp file is left beside the report.
  expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  // A folder that does not exist: a coded error, nothing written.
  const bad = await tf2tvm(['inspect', fixture('trap_diamond'), '--html', path.join(dir, 'missing', 'r.html')]);
  expect(bad.exitCode).toBe(2);
  expect(bad.stderr).toContain('TF2TVM2002');
  expect(existsSync(path.join(dir, 'missing'))).toBe(false);
});

// ---------------------------------------------------------------------------
// A large generated graph

const F = DataType.DT_FLOAT;
const C = 16;

/**
 * A ResNet-like graph: blocks of Conv2D/BiasAdd/Relu/Conv2D/BiasAdd/AddV2/Relu
 * with Const weights; every fourth block is followed by ops tf2tvm does not
 * lower (a single Lgamma, or a chain Digamma -> Lgamma -> Digamma: ops outside
 * TVM's TensorFlow map), every ninth by a fan of alike Digammas summed back.
 */
function resnetLike(blocks: number): NodeDef[] {
  const nodes: NodeDef[] = [];
  const shape = [1, 8, 8, C];
  const t = { T: makeAttr.type(F) };
  const recorded = { _output_shapes: makeAttr.listShape([shape]) };
  let seed = 1;
  const weights = (n: number): Float32Array =>
    Float32Array.from({ length: n }, () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 0.1);
  const conv = (name: string, x: string): string => {
    nodes.push(makeConst(`${name}/w`, encodeTensor(F, [1, 1, C, C], weights(C * C))));
    nodes.push(
      makeNode({
        name: `${name}/conv`,
        op: 'Conv2D',
        input: [x, `${name}/w`],
        attr: { ...t, strides: makeAttr.listI([1, 1, 1, 1]), padding: makeAttr.s('SAME'), data_format: makeAttr.s('NHWC') },
      }),
    );
    nodes.push(makeConst(`${name}/b`, encodeTensor(F, [C], weights(C))));
    nodes.push(makeNode({ name: `${name}/bias`, op: 'BiasAdd', input: [`${name}/conv`, `${name}/b`], attr: t }));
    return `${name}/bias`;
  };
  const unary = (name: string, op: string, x: string): string => {
    nodes.push(makeNode({ name, op, input: [x], attr: { ...t, ...(op === 'Digamma' ? recorded : {}) } }));
    return name;
  };
  const lgamma = (name: string, x: string): string => {
    nodes.push(makeNode({ name, op: 'Lgamma', input: [x], attr: { ...t, ...recorded } }));
    return name;
  };
  nodes.push(makeNode({ name: 'input', op: 'Placeholder', attr: { dtype: makeAttr.type(F), shape: makeAttr.shape(shape) } }));
  let h = 'input';
  for (let b = 0; b < blocks; b++) {
    const s = `net/block${b}`;
    const r1 = unary(`${s}/relu1`, 'Relu', conv(`${s}/c1`, h));
    const y = conv(`${s}/c2`, r1);
    nodes.push(makeNode({ name: `${s}/add`, op: 'AddV2', input: [y, h], attr: t }));
    h = unary(`${s}/out`, 'Relu', `${s}/add`);
    if (b % 4 === 3) {
      h = b % 8 === 3 ? lgamma(`${s}/tf/lgamma`, h) : unary(`${s}/tf/sg2`, 'Digamma', lgamma(`${s}/tf/lgamma`, unary(`${s}/tf/sg1`, 'Digamma', h)));
    }
    if (b % 9 === 8) {
      const fan = [0, 1, 2, 3].map((k) => unary(`${s}/fan/sg${k}`, 'Digamma', h));
      let acc = fan[0]!;
      for (const [k, f] of fan.slice(1).entries()) {
        nodes.push(makeNode({ name: `${s}/fan/sum${k}`, op: 'AddV2', input: [acc, f], attr: t }));
        acc = `${s}/fan/sum${k}`;
      }
      h = acc;
    }
  }
  nodes.push(makeNode({ name: 'output', op: 'Identity', input: [h], attr: t }));
  return nodes;
}

test('a generated ResNet-like graph of ~1500 nodes stays a bounded drawing', async () => {
  const nodes = resnetLike(132);
  expect(nodes.length).toBeGreaterThan(1400);
  expect(nodes.length).toBeLessThan(1700);
  const model = path.join(dir, 'big.pb');
  writeFileSync(model, encodeGraphDef(makeGraphDef({ node: nodes })));
  const html = path.join(dir, 'big.html');
  const { report, page } = await inspect(model, html);
  expect(report.nodes).toBe(nodes.length);
  expect(report.clusters.length).toBeGreaterThan(20);
  const reasons = new Set(report.unclustered.map((u) => u.reason));
  expect(reasons).toContain('unsupported-op');
  expect(reasons).toContain('constant');

  const svg = mainSvg(page);
  const drawn = boxes(svg);
  expect(drawn.length).toBeLessThan(300);
  // Every cluster has its box; TensorFlow chains and fans are collapsed.
  const keys = new Set(drawn.map((b) => b.key));
  for (const c of report.clusters) expect(keys).toContain(c.name);
  expect(drawn.some((b) => b.cls === 'tf chain')).toBe(true);
  expect(drawn.some((b) => b.cls === 'tf group')).toBe(true);
  expect(drawn.some((b) => b.cls === 'tf')).toBe(true);
  expect(svg).toContain('>unsupported-op</text>');
  // Const nodes are not drawn: no box, and no edge from one.
  expect(drawn.some((b) => b.key.endsWith('/w') || b.key.endsWith('/axis'))).toBe(false);
  const edges = svg.match(/<path class="edge/g) ?? [];
  expect(edges.length).toBeLessThan(2 * drawn.length);
  // Every node can be found from the search box.
  const data = JSON.parse(/<script type="application\/json" id="report-data">(.*?)<\/script>/.exec(page)![1]!) as {
    nodes: Record<string, [string, string]>;
  };
  expect(Object.keys(data.nodes)).toHaveLength(nodes.length);
  expect(statSync(html).size).toBeLessThan(5_000_000);

  const dom = await dumpDom(html);
  expect(dom).toContain(`data-ready="${drawn.length}"`);
  await expectGoodScreenshot(html, path.join(dir, 'big.png'));
  await expectGoodScreenshot(html, path.join(dir, 'big-fit.png'), '#fit');
});

// ---------------------------------------------------------------------------
// Collapsing keeps the drawing a DAG

test('collapsing random DAGs yields acyclic block graphs covering every unit once', () => {
  let seed = 7;
  const rand = (): number => (seed = (seed * 48271) % 2147483647) / 2147483647;
  for (let g = 0; g < 40; g++) {
    const n = 20 + Math.floor(rand() * 300);
    const units: CUnit[] = Array.from({ length: n }, (_, i) => ({ order: i, collapsible: rand() < 0.85, signature: rand() < 0.5 ? 'A' : 'B' }));
    const edges: { from: number; to: number }[] = [];
    for (let v = 1; v < n; v++) {
      const k = rand() < 0.7 ? 1 : 1 + Math.floor(rand() * 3);
      for (let j = 0; j < k; j++) {
        const span = rand() < 0.8 ? 1 + Math.floor(rand() * 3) : 1 + Math.floor(rand() * v);
        edges.push({ from: Math.max(0, v - span), to: v });
      }
    }
    const { blocks, blockOf } = collapse(units, edges, { regionsAbove: rand() < 0.5 ? 0 : 1e9 });
    const seen = new Array<number>(n).fill(0);
    blocks.forEach((b, k) => b.units.forEach((u) => ((seen[u] = seen[u]! + 1), expect(blockOf[u]).toBe(k))));
    expect(seen.every((c) => c === 1)).toBe(true);
    for (const b of blocks) if (b.units.length > 1) expect(b.units.every((u) => units[u]!.collapsible)).toBe(true);
    // Kahn over the block graph must consume every block.
    const succ = blocks.map(() => new Set<number>());
    const indeg = new Array<number>(blocks.length).fill(0);
    for (const e of edges) {
      const a = blockOf[e.from]!;
      const b = blockOf[e.to]!;
      if (a !== b && !succ[a]!.has(b)) {
        succ[a]!.add(b);
        indeg[b]!++;
      }
    }
    const ready = indeg.flatMap((d, i) => (d === 0 ? [i] : []));
    let done = 0;
    while (ready.length) {
      const v = ready.pop()!;
      done++;
      for (const s of succ[v]!) if (--indeg[s]! === 0) ready.push(s);
    }
    expect(done).toBe(blocks.length);
  }
});
