// Staging: several processes committing into one OUT at once never mix their
// files or fail; OUT is always the complete output of one of them (the one
// that renamed last), and nothing is left beside it.

import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { projectPath } from '../ir/support/project.js';
import { tempDir } from './helpers.js';

test('concurrent commits into one OUT leave one complete OUT', async () => {
  const dir = tempDir();
  const out = path.join(dir, 'out');
  const script = (id: string) => `
    import { Staging } from ${JSON.stringify(projectPath('dist', 'src', 'output.js'))};
    import { mkdirSync, writeFileSync } from 'node:fs';
    for (let i = 0; i < 150; i++) {
      const s = new Staging(${JSON.stringify(out)});
      mkdirSync(s.path('clusters'));
      for (const f of ['model.pb', 'manifest.json', 'clusters/a.so']) writeFileSync(s.path(f), '${id} ' + i);
      try {
        s.commit();
      } finally {
        s.discard();
      }
    }`;
  const runs = await Promise.all(['A', 'B', 'C'].map((id) => execa('node', ['--input-type=module', '-e', script(id)], { reject: false })));
  for (const r of runs) expect({ exitCode: r.exitCode, stderr: r.stderr }).toEqual({ exitCode: 0, stderr: '' });
  expect(readdirSync(dir)).toEqual(['out']);
  const files = ['model.pb', 'manifest.json', 'clusters/a.so'].map((f) => readFileSync(path.join(out, f), 'utf8'));
  expect(files[0]).toMatch(/^[ABC] 149$/);
  expect(new Set(files).size).toBe(1);
  expect(readdirSync(out).sort()).toEqual(['clusters', 'manifest.json', 'model.pb']);
});
