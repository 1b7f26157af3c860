// --serial-below: an artifact estimated to do fewer operations than the
// threshold runs its parallel loops as one task (the bridge node's
// artifact_threads), decided per artifact; the rewritten graph still verifies
// against TensorFlow on every shape set.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readGraphDef } from '../../ir/tf/graphdef/io.js';
import { fixture, tempDir, tf2tvm, tf2tvmJson } from '../helpers.js';

interface CompileDoc {
  clusters: { artifacts: { shapes: string; threads?: number }[] }[];
}

const dir = tempDir('tf2tvm-serial-');

async function compiled(name: string, extra: string[]): Promise<{ out: string; doc: CompileDoc; threads: number[] | undefined }> {
  const out = path.join(dir, name);
  const { r, doc } = await tf2tvmJson<CompileDoc>(['compile', fixture('dynamic_batch'), '--batch', '1,64', '-o', out, ...extra]);
  if (r.exitCode !== 0) throw new Error(`compile failed:\n${r.stderr}`);
  const g = await readGraphDef(path.join(out, 'model.pb'));
  const bridge = g.node.find((n) => n.op === 'TF2TVMBridgeOp')!;
  const list = bridge.attr.artifact_threads?.list?.i;
  return { out, doc, threads: list?.map((v) => Number(v)) };
}

test('by default the batch-1 artifact of a small conv net runs on one thread, the batch-64 one on all', async () => {
  const { out, doc, threads } = await compiled('default', []);
  expect(doc.clusters[0]!.artifacts.map((a) => [a.shapes.split('x')[0], a.threads])).toEqual([
    ['1', 1],
    ['64', undefined],
  ]);
  expect(threads).toEqual([1, 0]);
  const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as CompileDoc;
  expect(manifest.clusters[0]!.artifacts.map((a) => a.threads)).toEqual([1, undefined]);
  expect((await tf2tvm(['verify', fixture('dynamic_batch'), out])).exitCode).toBe(0);
});

test('--serial-below 0 limits no artifact (no attribute), a huge threshold every one', async () => {
  expect((await compiled('never', ['--serial-below', '0'])).threads).toBeUndefined();
  const all = await compiled('always', ['--serial-below', '1e12']);
  expect(all.threads).toEqual([1, 1]);
  expect((await tf2tvm(['verify', fixture('dynamic_batch'), all.out])).exitCode).toBe(0);
  // A negative threshold is a usage error (exit 2), like every malformed option.
  expect((await tf2tvm(['compile', fixture('dynamic_batch'), '-o', path.join(dir, 'bad'), '--serial-below', '-1'])).exitCode).toBe(2);
});
