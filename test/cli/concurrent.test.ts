// Two compiles into the same OUT at once (as make -j can start them): both
// exit 0 and OUT is the complete output of one of them (the one whose staging
// folder was renamed into place last), never a mix; nothing is left beside it.

import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fixture, tempDir, tf2tvm } from '../helpers.js';

function files(dir: string, rel = ''): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = path.join(rel, e.name);
    if (e.isDirectory()) for (const [k, v] of files(dir, r)) out.set(k, v);
    else out.set(r, readFileSync(path.join(dir, r)));
  }
  return out;
}

test('two compiles into one OUT at once leave the complete OUT of one of them', async () => {
  const dir = tempDir();
  const models = ['conv_mlp', 'two_io'];
  const refs = [];
  for (const m of models) {
    const ref = path.join(dir, `ref-${m}`);
    expect((await tf2tvm(['compile', fixture(m), '-o', ref])).exitCode).toBe(0);
    refs.push(files(ref));
  }
  const out = path.join(dir, 'out');
  for (let round = 0; round < 2; round++) {
    const rs = await Promise.all(models.map((m) => tf2tvm(['compile', fixture(m), '-o', out])));
    expect(rs.map((r) => r.exitCode)).toEqual([0, 0]);
    expect(readdirSync(dir).sort()).toEqual(['out', ...models.map((m) => `ref-${m}`)].sort());
    const got = files(out);
    // manifest.json names its own OUT; every other file is byte-identical to one reference.
    const same = refs.map((ref) => [...ref].every(([k, v]) => k === 'manifest.json' || got.get(k)?.equals(v)) && ref.size === got.size);
    expect(same.filter(Boolean)).toHaveLength(1);
  }
}, 240_000);
