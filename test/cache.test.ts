// The build cache survives a damaged entry (found by its sha256, removed, so
// the artifact is built and stored again) and concurrent writers of one key.

import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { BuildCache } from '../src/cache.js';
import { projectPath } from '../ir/support/project.js';
import { tempDir } from './helpers.js';

const KEY = 'ab'.repeat(32);
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function artifact(dir: string, bytes = 200_000): { file: string; sha: string; data: Buffer } {
  const data = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) data[i] = (i * 7919) & 0xff;
  const file = path.join(dir, 'built.so');
  writeFileSync(file, data);
  return { file, sha: sha(data), data };
}

test('a truncated entry is a miss and is removed; storing again makes it a hit', () => {
  const dir = tempDir();
  const cache = new BuildCache(path.join(dir, 'cache'));
  const a = artifact(dir);
  cache.store(KEY, a.file, a.sha);
  expect(cache.fetch(KEY, path.join(dir, 'hit.so'))).toBe(a.sha);
  expect(readFileSync(path.join(dir, 'hit.so'))).toEqual(a.data);

  truncateSync(path.join(dir, 'cache', 'ab', `${KEY}.so`), 1000);
  expect(cache.fetch(KEY, path.join(dir, 'miss.so'))).toBeUndefined();
  expect(cache.has(KEY)).toBe(false);
  expect(readdirSync(dir).sort()).toEqual(['built.so', 'cache', 'hit.so']);

  writeFileSync(a.file, a.data);
  cache.store(KEY, a.file, a.sha);
  expect(cache.fetch(KEY, path.join(dir, 'again.so'))).toBe(a.sha);
  expect(readFileSync(path.join(dir, 'again.so'))).toEqual(a.data);
});

test('a damaged sha256 sidecar is a miss too', () => {
  const dir = tempDir();
  const cache = new BuildCache(path.join(dir, 'cache'));
  const a = artifact(dir);
  cache.store(KEY, a.file, a.sha);
  writeFileSync(path.join(dir, 'cache', 'ab', `${KEY}.so.sha256`), a.sha.slice(0, 20));
  expect(cache.fetch(KEY, path.join(dir, 'miss.so'))).toBeUndefined();
});

test('readers never see a partial entry while other processes store the same key', async () => {
  const dir = tempDir();
  const cacheDir = path.join(dir, 'cache');
  const a = artifact(dir, 2_000_000);
  const script = `
    import { BuildCache } from ${JSON.stringify(projectPath('dist', 'src', 'cache.js'))};
    import { copyFileSync } from 'node:fs';
    const cache = new BuildCache(${JSON.stringify(cacheDir)});
    for (let i = 0; i < 60; i++) {
      const src = ${JSON.stringify(a.file)} + '.' + process.pid;
      copyFileSync(${JSON.stringify(a.file)}, src);
      cache.store(${JSON.stringify(KEY)}, src, ${JSON.stringify(a.sha)});
    }`;
  const writers = [1, 2].map(() => execa('node', ['--input-type=module', '-e', script], { reject: false }));
  const cache = new BuildCache(cacheDir);
  let finished = false;
  const all = Promise.all(writers).finally(() => (finished = true));
  let hits = 0;
  for (let i = 0; !finished; i++) {
    const dest = path.join(dir, `read-${i}.so`);
    const got = cache.fetch(KEY, dest);
    if (got !== undefined) {
      hits++;
      expect(got).toBe(a.sha);
      expect(sha(readFileSync(dest))).toBe(a.sha);
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  for (const w of await all) expect({ exitCode: w.exitCode, stderr: w.stderr }).toEqual({ exitCode: 0, stderr: '' });
  expect(cache.fetch(KEY, path.join(dir, 'last.so'))).toBe(a.sha);
  expect(hits).toBeGreaterThan(0);
  // No temporary file is left behind.
  expect(readdirSync(path.join(cacheDir, 'ab')).sort()).toEqual([`${KEY}.so`, `${KEY}.so.sha256`]);
});
