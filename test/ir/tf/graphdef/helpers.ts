// Shared bits of the graphdef tests.

import { mkdtempSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO = resolve(process.cwd());
export const VECTORS = join(REPO, 'test', 'ir', 'tf', 'graphdef', 'vectors');
export const FIXTURES = join(REPO, 'fixtures', 'models');

/** fixtures/models/<name>/model.pb files, by name. */
export function fixtureModels(): [string, string][] {
  if (!existsSync(FIXTURES)) return [];
  return readdirSync(FIXTURES)
    .filter((d) => existsSync(join(FIXTURES, d, 'model.pb')))
    .sort()
    .map((d) => [d, join(FIXTURES, d, 'model.pb')]);
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'tf2tvm-graphdef-'));
}

/** mulberry32: a small seeded PRNG, so "random" inputs are the same on every run. */
export function randomBytes(seed: number, n: number): Uint8Array {
  let a = seed >>> 0;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff;
  }
  return out;
}
