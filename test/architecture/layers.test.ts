// The layering rule of docs/architecture.md, checked on the code: every import
// between folders runs down. Layers from the top; a file belongs to the most
// specific folder listed; it may import its own folder and any layer below
// its own, never one above and never a sibling of the same rank.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const ROOT = process.cwd();

/** Top to bottom; folders on one line share a rank and must not import each other. */
export const LAYERS: readonly (readonly string[])[] = [
  ['src/cli'],
  ['src/report'],
  ['src/pipeline'],
  ['src'],
  ['passes', 'backends/tf', 'backends/tvm'],
  ['backends/python', 'backends/relay', 'backends/onnx'],
  ['ir/tf'],
  ['ir'],
  ['ir/support'],
];

const FOLDERS = LAYERS.flat().sort((a, b) => b.length - a.length);

function folderOf(file: string): string | undefined {
  return FOLDERS.find((f) => file === f || file.startsWith(`${f}/`));
}

function rankOf(folder: string): number {
  return LAYERS.findIndex((l) => l.includes(folder));
}

/** Relative import specifiers of one TypeScript source. */
export function importsOf(text: string): string[] {
  const out: string[] = [];
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)'(\.{1,2}\/[^']+)'/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m[1]!);
  return out;
}

export interface Arrow {
  readonly from: string;
  readonly to: string;
  readonly fromFolder: string;
  readonly toFolder: string;
}

/** Arrows that run up or sideways; `files` maps repo-relative path -> text. */
export function violations(files: ReadonlyMap<string, string>): { arrows: number; bad: Arrow[] } {
  let arrows = 0;
  const bad: Arrow[] = [];
  for (const [file, text] of files) {
    const fromFolder = folderOf(file);
    if (!fromFolder) continue;
    for (const spec of importsOf(text)) {
      const to = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
      const toFolder = folderOf(to);
      if (!toFolder) {
        bad.push({ from: file, to, fromFolder, toFolder: '(outside every layer)' });
        continue;
      }
      arrows++;
      if (toFolder === fromFolder) continue;
      if (rankOf(toFolder) <= rankOf(fromFolder)) bad.push({ from: file, to, fromFolder, toFolder });
    }
  }
  return { arrows, bad };
}

function sources(dir: string, out: Map<string, string>): Map<string, string> {
  for (const name of readdirSync(path.join(ROOT, dir))) {
    const rel = `${dir}/${name}`;
    if (statSync(path.join(ROOT, rel)).isDirectory()) sources(rel, out);
    else if (name.endsWith('.ts')) out.set(rel, readFileSync(path.join(ROOT, rel), 'utf8'));
  }
  return out;
}

test('every import between folders runs down the layers', () => {
  const files = new Map<string, string>();
  for (const top of ['src', 'passes', 'ir', 'backends']) sources(top, files);
  const { arrows, bad } = violations(files);
  expect(files.size).toBeGreaterThan(50);
  expect(arrows).toBeGreaterThan(200);
  expect(bad.map((a) => `${a.from} (${a.fromFolder}) -> ${a.to} (${a.toFolder})`)).toEqual([]);
});

test('every source file is in a layer', () => {
  const files = new Map<string, string>();
  for (const top of ['src', 'passes', 'ir', 'backends']) sources(top, files);
  expect([...files.keys()].filter((f) => !folderOf(f))).toEqual([]);
});

test('the checker catches an arrow up, a sideways one and a dynamic import', () => {
  const files = new Map([
    ['ir/tf/graph.ts', "import { x } from '../../passes/state.js';"],
    ['passes/rewrite.ts', "import type { y } from '../backends/tvm/worker.js';"],
    ['backends/relay/emit.ts', "const m = await import('../../src/cache.js');"],
    ['src/cli/main.ts', "import { z } from '../../ir/support/diagnostics.js';"],
  ]);
  const { bad } = violations(files);
  expect(bad.map((a) => a.from).sort()).toEqual(['backends/relay/emit.ts', 'ir/tf/graph.ts', 'passes/rewrite.ts']);
});
