// tf2tvm as a build step: several shapes, the content-addressed cache, failed
// clusters kept in TensorFlow, atomic output under kill -9, depfiles.

import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { projectPath } from '../../ir/support/project.js';
import { CLI, fixture, tempDir, tf2tvm, tf2tvmJson } from '../helpers.js';

interface CompileDoc {
  ok: boolean;
  built: number;
  cached: number;
  failed: number;
  clusters: { name: string; nodes: string[]; artifacts: { shapes: string; path: string | null; status: string }[] }[];
  unclustered: { node: string; reason: string }[];
}
interface VerifyDoc {
  ok: boolean;
  shape_sets: { key: string; ok: boolean }[];
}

const BROKEN = { TF2TVM_BUILD_SCRIPT: projectPath('test', 'support', 'broken_build.py'), TF2TVM_TEST_BREAK: 'cluster_1' };

test('two batch sizes give two artifacts per cluster, each selected and verified at run time', async () => {
  const dir = tempDir();
  const out = path.join(dir, 'out');
  const c = await tf2tvmJson<CompileDoc>(['compile', fixture('dynamic_batch'), '-o', out, '--batch', '1,3']);
  expect(c.r.exitCode).toBe(0);
  for (const cl of c.doc.clusters) expect(cl.artifacts.map((a) => a.shapes)).toEqual(['1x16x16x3', '3x16x16x3']);
  const v = await tf2tvmJson<VerifyDoc>(['verify', fixture('dynamic_batch'), out]);
  expect(v.doc.ok).toBe(true);
  expect(v.doc.shape_sets.map((s) => [s.key, s.ok])).toEqual([
    ['1x16x16x3', true],
    ['3x16x16x3', true],
  ]);
  // A shape that was not compiled runs the cluster's TensorFlow subgraph...
  const other = await tf2tvmJson<VerifyDoc>(['verify', fixture('dynamic_batch'), out, '--shapes', 'x=2x16x16x3']);
  expect(other.doc.ok).toBe(true);
  // ...and without fallback it is a clear error from the bridge op.
  const bad = await tf2tvmJson<VerifyDoc>(['verify', fixture('dynamic_batch'), out, '--shapes', 'x=2x16x16x3'], { TF2TVM_FALLBACK: '0' });
  expect(bad.r.exitCode).not.toBe(0);
  expect(bad.r.stderr).toMatch(/no compiled artifact for input shapes/);
  expect(bad.r.stderr).toMatch(/cluster '\w+'/);
});

test('--batch and --shapes together are a usage error', async () => {
  const r = await tf2tvm(['compile', fixture('dynamic_batch'), '-o', path.join(tempDir(), 'o'), '--batch', '1', '--shapes', 'x=1x16x16x3']);
  expect(r.exitCode).toBe(2);
});

test('a repeat compile makes no TVM call; a changed shape rebuilds only that shape', async () => {
  const dir = tempDir();
  const cache = path.join(dir, 'cache');
  const first = await tf2tvmJson<CompileDoc>([
    'compile',
    fixture('dynamic_batch'),
    '-o',
    path.join(dir, 'a'),
    '--batch',
    '1,2',
    '--cache-dir',
    cache,
  ]);
  expect(first.doc).toMatchObject({ built: 2, cached: 0 });
  // The same build script (so the same cache keys), with a `tvm` module first
  // on the path that refuses to load: if any TVM build were started, the
  // compile would fail.
  const trap = path.join(dir, 'trap');
  mkdirSync(trap);
  writeFileSync(path.join(trap, 'tvm.py'), 'raise SystemExit("a TVM build was started")\n');
  const noTvm = { PYTHONPATH: trap };
  const again = await tf2tvmJson<CompileDoc>(
    ['compile', fixture('dynamic_batch'), '-o', path.join(dir, 'b'), '--batch', '1,2', '--cache-dir', cache],
    noTvm,
  );
  expect(again.r.exitCode).toBe(0);
  expect(again.doc).toMatchObject({ built: 0, cached: 2, failed: 0 });
  expect(readFileSync(path.join(dir, 'b', 'model.pb')).equals(readFileSync(path.join(dir, 'a', 'model.pb')))).toBe(true);
  const changed = await tf2tvmJson<CompileDoc>([
    'compile',
    fixture('dynamic_batch'),
    '-o',
    path.join(dir, 'c'),
    '--batch',
    '1,4',
    '--cache-dir',
    cache,
  ]);
  expect(changed.doc).toMatchObject({ built: 1, cached: 1 });
  const size = await tf2tvmJson<{ files: number }>(['cache', '--size', '--cache-dir', cache]);
  expect(size.doc.files).toBe(3);
  const pruned = await tf2tvmJson<{ files: number; removed: number }>(['cache', '--prune', '--cache-dir', cache]);
  expect(pruned.doc).toMatchObject({ files: 0, removed: 3 });
});

test('a cluster TVM fails to build stays in TensorFlow; the rest is rewritten and verifies', async () => {
  const dir = tempDir();
  const out = path.join(dir, 'out');
  const c = await tf2tvmJson<CompileDoc>(['compile', fixture('control_deps'), '-o', out, '--cache-dir', path.join(dir, 'cache')], BROKEN);
  expect(c.r.exitCode).toBe(0);
  expect(c.doc.failed).toBe(1);
  expect(c.r.stderr).toMatch(/warning TF2TVM3101: TVM build of cluster 'cluster_1' failed.*full log: .*cluster_1_2x8\.log/);
  const failed = c.doc.clusters.find((x) => x.name === 'cluster_1')!;
  for (const n of failed.nodes) expect(c.doc.unclustered).toContainEqual(expect.objectContaining({ node: n, reason: 'build-failed' }));
  expect(existsSync(path.join(out, 'logs', 'cluster_1_2x8.log'))).toBe(true);
  const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as { clusters: { name: string }[] };
  expect(manifest.clusters.map((x) => x.name)).toEqual(['cluster_0']);
  const v = await tf2tvmJson<VerifyDoc>(['verify', fixture('control_deps'), out]);
  expect(v.doc.ok).toBe(true);

  const strictOut = path.join(dir, 'strict');
  const s = await tf2tvm(['compile', fixture('control_deps'), '-o', strictOut, '--strict', '--cache-dir', path.join(dir, 'cache')], BROKEN);
  expect(s.exitCode).toBe(3);
  expect(s.stderr).toContain('TF2TVM3003');
  expect(existsSync(strictOut)).toBe(false);
});

test('--build-timeout: a build that does not end is stopped, its cluster stays in TensorFlow, the others build', async () => {
  const dir = tempDir();
  const out = path.join(dir, 'out');
  const HANG = { TF2TVM_BUILD_SCRIPT: projectPath('test', 'support', 'broken_build.py'), TF2TVM_TEST_HANG: 'cluster_1' };
  const t0 = Date.now();
  const c = await tf2tvmJson<CompileDoc>(
    ['compile', fixture('control_deps'), '-o', out, '--build-timeout', '30', '-j', '1', '--cache-dir', path.join(dir, 'cache')],
    HANG,
  );
  expect(c.r.exitCode).toBe(0);
  expect(Date.now() - t0).toBeLessThan(600_000);
  expect(c.doc.failed).toBe(1);
  expect(c.r.stderr).toMatch(
    /warning TF2TVM3101: TVM build of cluster 'cluster_1' failed; its nodes stay in TensorFlow \(build timed out after 30 s; full log: .*cluster_1_2x8\.log\)/,
  );
  const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as { clusters: { name: string }[] };
  expect(manifest.clusters.map((x) => x.name)).toEqual(['cluster_0']);
  expect((await tf2tvmJson<VerifyDoc>(['verify', fixture('control_deps'), out])).doc.ok).toBe(true);
  // Fatal under --strict, with nothing written.
  const strictOut = path.join(dir, 'strict');
  const s = await tf2tvm(
    ['compile', fixture('control_deps'), '-o', strictOut, '--strict', '--build-timeout', '30', '-j', '1', '--cache-dir', path.join(dir, 'cache')],
    HANG,
  );
  expect(s.exitCode).toBe(3);
  expect(s.stderr).toContain('TF2TVM3003');
  expect(existsSync(strictOut)).toBe(false);
});

test('kill -9 during a compile leaves the previous OUT intact and no partial one', async () => {
  const dir = tempDir();
  const out = path.join(dir, 'out');
  const ok = await tf2tvm(['compile', fixture('conv_mlp'), '-o', out, '--cache-dir', path.join(dir, 'cache0')]);
  expect(ok.exitCode).toBe(0);
  const before = readFileSync(path.join(out, 'model.pb'));
  // A fresh cache forces a real TVM build, so the compile is still running when killed.
  const child = execa('node', [CLI, 'compile', fixture('conv_mlp'), '-o', out, '--cache-dir', path.join(dir, 'cache1'), '--policy', 'all'], {
    reject: false,
  });
  for (let i = 0; i < 600 && !readdirSync(dir).some((n) => n.startsWith('.tf2tvm-tmp-out-')); i++) await new Promise((r) => setTimeout(r, 50));
  child.kill('SIGKILL');
  await child;
  expect(readFileSync(path.join(out, 'model.pb')).equals(before)).toBe(true);
  // The next run cleans the abandoned staging folder up.
  const again = await tf2tvm(['compile', fixture('conv_mlp'), '-o', out, '--cache-dir', path.join(dir, 'cache0')]);
  expect(again.exitCode).toBe(0);
  expect(readdirSync(dir).filter((n) => n.startsWith('.tf2tvm-tmp-'))).toEqual([]);

  const fresh = path.join(dir, 'fresh');
  const child2 = execa('node', [CLI, 'compile', fixture('conv_mlp'), '-o', fresh, '--cache-dir', path.join(dir, 'cache2')], { reject: false });
  for (let i = 0; i < 600 && !readdirSync(dir).some((n) => n.startsWith('.tf2tvm-tmp-fresh-')); i++) await new Promise((r) => setTimeout(r, 50));
  child2.kill('SIGKILL');
  await child2;
  expect(existsSync(fresh)).toBe(false);
});

test('--depfile writes a Make rule for OUT/model.pb', async () => {
  const dir = tempDir();
  const out = path.join(dir, 'out');
  const dep = path.join(dir, 'model.d');
  const r = await tf2tvm(['compile', fixture('conv_mlp'), '-o', out, '--depfile', dep]);
  expect(r.exitCode).toBe(0);
  const text = readFileSync(dep, 'utf8');
  expect(text).toBe(
    `${path.join(out, 'model.pb')}: ${path.resolve(fixture('conv_mlp'))} ${projectPath('scripts', 'toolchain', 'pins.txt')} ${projectPath('scripts', 'toolchain', 'constraints.txt')}\n`,
  );
});

test('--select measured times every cluster, keeps the winners and records why', async () => {
  const dir = tempDir();
  const out = path.join(dir, 'out');
  const c = await tf2tvmJson<
    CompileDoc & {
      selection: { cluster: string; keep: boolean; why: string; timings: { tf_ms: number; tvm_ms: number; speedup: number; p_faster: number }[] }[];
    }
  >(['compile', fixture('two_io'), '-o', out, '--select', 'measured', '--select-runs', '10', '--select-margin', '0.05']);
  expect(c.r.exitCode).toBe(0);
  expect(c.doc.selection.map((s) => s.cluster).sort()).toEqual(c.doc.clusters.map((x) => x.name).sort());
  const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as {
    clusters: { name: string }[];
    selection: { mode: string; clusters: { cluster: string; keep: boolean }[] };
  };
  expect(manifest.selection.mode).toBe('measured');
  for (const s of c.doc.selection) {
    expect(s.timings.length).toBeGreaterThan(0);
    for (const t of s.timings) {
      expect(t.tf_ms).toBeGreaterThan(0);
      expect(t.tvm_ms).toBeGreaterThan(0);
      // The decision follows the measurement and the margin.
      if (s.keep) expect(t.speedup).toBeGreaterThanOrEqual(1.05);
      if (s.keep) expect(t.p_faster).toBeLessThanOrEqual(0.05);
    }
    if (!s.keep) {
      expect(s.timings.some((t) => t.speedup < 1.05 || t.p_faster > 0.05)).toBe(true);
      for (const n of c.doc.clusters.find((x) => x.name === s.cluster)!.nodes) {
        expect(c.doc.unclustered).toContainEqual(expect.objectContaining({ node: n, reason: 'not-faster' }));
      }
    }
  }
  expect(manifest.clusters.map((x) => x.name).sort()).toEqual(
    c.doc.selection
      .filter((s) => s.keep)
      .map((s) => s.cluster)
      .sort(),
  );
  const v = await tf2tvmJson<VerifyDoc>(['verify', fixture('two_io'), out]);
  expect(v.doc.ok).toBe(true);
  const bad = await tf2tvm(['compile', fixture('two_io'), '-o', path.join(dir, 'x'), '--select', 'fastest']);
  expect(bad.exitCode).toBe(2);
});

test('--select measured splits a cluster that loses, builds and times its parts, and records the split', async () => {
  const dir = tempDir();
  const out = path.join(dir, 'out');
  // A margin no cluster can reach: every cluster and part loses, so each is split down to one compute op.
  const c = await tf2tvmJson<
    CompileDoc & {
      kept_clusters: number;
      selection: {
        cluster: string;
        keep: boolean;
        part_of?: string;
        split_into?: string[];
        timings: { speedup: number; max_rel_err: number }[];
      }[];
    }
  >(['compile', fixture('conv_mlp'), '-o', out, '--select', 'measured', '--select-runs', '5', '--select-margin', '1000']);
  expect(c.r.exitCode).toBe(0);
  expect(c.doc.selection.map((s) => [s.cluster, s.part_of ?? null, s.split_into ?? null])).toEqual([
    ['cluster_0', null, ['cluster_0_0', 'cluster_0_1']],
    ['cluster_0_0', 'cluster_0', null],
    ['cluster_0_1', 'cluster_0', ['cluster_0_1_0', 'cluster_0_1_1']],
    ['cluster_0_1_0', 'cluster_0_1', null],
    ['cluster_0_1_1', 'cluster_0_1', null],
  ]);
  // Each part was really built and run: its bridge op computed what TensorFlow computes.
  for (const s of c.doc.selection) {
    expect(s.keep).toBe(false);
    expect(s.timings.length).toBeGreaterThan(0);
    for (const t of s.timings) expect(t.max_rel_err).toBeLessThan(1e-4);
  }
  expect(c.doc.kept_clusters).toBe(0);
  expect(c.doc.clusters.map((x) => x.name)).toEqual(['cluster_0_0', 'cluster_0_1_0', 'cluster_0_1_1']);
  for (const n of c.doc.clusters.flatMap((x) => x.nodes)) {
    expect(c.doc.unclustered).toContainEqual(expect.objectContaining({ node: n, reason: 'not-faster' }));
  }
  const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as {
    clusters: unknown[];
    selection: { clusters: { cluster: string; split_into?: string[] }[] };
  };
  expect(manifest.clusters).toEqual([]);
  expect(manifest.selection.clusters.find((s) => s.cluster === 'cluster_0')!.split_into).toEqual(['cluster_0_0', 'cluster_0_1']);
  expect(readFileSync(path.join(out, 'model.pb')).equals(readFileSync(fixture('conv_mlp')))).toBe(true);
  expect(existsSync(path.join(out, 'clusters'))).toBe(false);
});
