// Every kind of bad input exits 1 with its own code and writes nothing.

import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { encodeGraphDef, makeGraphDef, makeNode, makeAttr } from '../../ir/tf/graphdef/io.js';
import { fixture, tempDir, tf2tvm, tf2tvmJson } from '../helpers.js';

const dir = tempDir();

function write(name: string, bytes: Uint8Array | string): string {
  const p = path.join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
}

const placeholder = (name: string) => makeNode({ name, op: 'Placeholder', attr: { dtype: makeAttr.type(1), shape: makeAttr.shape([1, 4]) } });

const cases: [string, () => string, string][] = [
  ['missing file', () => path.join(dir, 'nope.pb'), 'TF2TVM1001'],
  ['empty file', () => write('empty.pb', new Uint8Array()), 'TF2TVM1002'],
  ...[1, 2, 3].map((seed): [string, () => string, string] => [
    `random bytes (seed ${seed})`,
    () => {
      const r = rng(seed);
      return write(
        `random${seed}.pb`,
        Uint8Array.from({ length: 4096 }, () => Math.floor(r() * 256)),
      );
    },
    'TF2TVM1003',
  ]),
  ['truncated GraphDef', () => write('trunc.pb', readFileSync(fixture('conv_mlp')).subarray(0, 5000)), 'TF2TVM1003'],
  [
    'SavedModel folder TensorFlow cannot read',
    () => {
      const d = path.join(dir, 'saved');
      mkdirSync(path.join(d, 'variables'), { recursive: true });
      writeFileSync(path.join(d, 'saved_model.pb'), new Uint8Array([8, 1]));
      return d;
    },
    'TF2TVM1063',
  ],
  ['text GraphDef that does not parse', () => write('broken.pbtxt', 'node { name: "x" op: "Placeholder" bogus_field: 3 }\n'), 'TF2TVM1065'],
  ['empty text GraphDef', () => write('empty.pbtxt', ''), 'TF2TVM1002'],
  [
    'dangling input',
    () =>
      write(
        'dangling.pb',
        encodeGraphDef(
          makeGraphDef({ node: [placeholder('x'), makeNode({ name: 'y', op: 'Relu', input: ['x', 'ghost'], attr: { T: makeAttr.type(1) } })] }),
        ),
      ),
    'TF2TVM1006',
  ],
  [
    'cycle',
    () =>
      write(
        'cycle.pb',
        encodeGraphDef(
          makeGraphDef({
            node: [
              placeholder('x'),
              makeNode({ name: 'a', op: 'AddV2', input: ['x', 'b'], attr: { T: makeAttr.type(1) } }),
              makeNode({ name: 'b', op: 'Relu', input: ['a'], attr: { T: makeAttr.type(1) } }),
            ],
          }),
        ),
      ),
    'TF2TVM1007',
  ],
];

describe('compile refuses bad input', () => {
  test.each(cases)('%s', async (_name, make, code) => {
    const model = make();
    const out = path.join(dir, `out-${code}-${Math.random().toString(36).slice(2)}`);
    const before = readdirSync(dir).sort();
    const { r, doc } = await tf2tvmJson<{ ok: boolean; error: { code: string; message: string } }>(['compile', model, '-o', out]);
    expect(r.exitCode).toBe(1);
    expect(doc.ok).toBe(false);
    expect(doc.error.code).toBe(code);
    expect(r.stderr).toContain(code);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  test('unknown --shapes input and contradicting shapes', async () => {
    const m = fixture('dynamic_batch');
    const out = path.join(dir, 'out-shapes');
    const unknown = await tf2tvm(['compile', m, '-o', out, '--shapes', 'nope=1x16x16x3']);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toContain('TF2TVM1010');
    const rank = await tf2tvm(['compile', m, '-o', out, '--shapes', 'x=1x16x16']);
    expect(rank.stderr).toContain('TF2TVM1011');
    const dim = await tf2tvm(['compile', m, '-o', out, '--shapes', 'x=1x17x16x3']);
    expect(dim.stderr).toContain('TF2TVM1012');
    const missing = await tf2tvm(['compile', m, '-o', out]);
    expect(missing.stderr).toContain('TF2TVM1013');
    expect(existsSync(out)).toBe(false);
  });

  test('a zero-size dimension is a valid shape: the nodes it reaches stay in TensorFlow (empty-tensor)', async () => {
    const out = path.join(dir, 'out-empty');
    const { r, doc } = await tf2tvmJson<{ ok: boolean; clusters: unknown[]; unclustered: { node: string; reason: string }[] }>([
      'compile',
      fixture('dynamic_batch'),
      '-o',
      out,
      '--shapes',
      'x=0x16x16x3',
    ]);
    expect(r.exitCode).toBe(0);
    expect(doc.ok).toBe(true);
    expect(doc.clusters).toEqual([]);
    expect(doc.unclustered.find((u) => u.node === 'conv1/conv')?.reason).toBe('empty-tensor');
    expect(existsSync(path.join(out, 'model.pb'))).toBe(true);
    // A negative size is still a usage error.
    const neg = await tf2tvm(['compile', fixture('dynamic_batch'), '-o', path.join(dir, 'neg'), '--shapes', 'x=-1x16x16x3']);
    expect(neg.exitCode).toBe(2);
    expect(neg.stderr).toContain('TF2TVM2001');
  });

  test('usage errors exit 2', async () => {
    const r = await tf2tvm(['compile', fixture('conv_mlp')]);
    expect(r.exitCode).toBe(2);
    const bad = await tf2tvm(['compile', fixture('conv_mlp'), '-o', path.join(dir, 'x'), '--shapes', 'x=axb']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('TF2TVM2001');
  });

  test('under --json a usage error is a JSON document too, with its code', async () => {
    const missing = await tf2tvm(['compile', fixture('conv_mlp'), '--json']);
    expect(missing.exitCode).toBe(2);
    expect(JSON.parse(missing.stdout)).toEqual({
      ok: false,
      error: { code: 'TF2TVM2003', message: expect.stringContaining("'-o, --out <dir>'") as unknown },
    });
    const unknownOpt = await tf2tvm(['inspect', fixture('conv_mlp'), '--json', '--no-such-flag']);
    expect(unknownOpt.exitCode).toBe(2);
    expect(JSON.parse(unknownOpt.stdout)).toMatchObject({ ok: false, error: { code: 'TF2TVM2003' } });
    const badOpt = await tf2tvm(['compile', fixture('conv_mlp'), '-o', path.join(dir, 'y'), '--disable-opt', 'fastmath', '--json']);
    expect(badOpt.exitCode).toBe(2);
    expect(JSON.parse(badOpt.stdout)).toMatchObject({
      ok: false,
      error: { code: 'TF2TVM2003', message: expect.stringContaining("unknown optimisation 'fastmath'") as unknown },
    });
    expect(existsSync(path.join(dir, 'y'))).toBe(false);
  });

  test('--help lists the commands and --version prints the version', async () => {
    const help = await tf2tvm(['--help']);
    expect(help.exitCode).toBe(0);
    for (const c of ['compile', 'verify', 'doctor']) expect(help.stdout).toContain(c);
    const v = await tf2tvm(['--version']);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
