// The generated reference pages (docs/ops.md, docs/diagnostics.md) are
// rendered in-process and compared with the committed files, so a change to
// the op tables or the diagnostics catalogue cannot leave them stale.

import { readFileSync } from 'node:fs';
import { projectPath } from '../ir/support/project.js';
import { CATALOGUE } from '../ir/support/diagnostics.js';
import { REASONS } from '../ir/support/reasons.js';
import { OPS } from '../ir/tf/ops/index.js';
import { GENERATED_DOCS, renderDiagnostics, renderOps } from '../src/docs.js';

test.each(GENERATED_DOCS.map((d) => [d.path, d] as const))('%s is up to date (run npm run docs)', (file, doc) => {
  const committed = readFileSync(projectPath(...file.split('/')), 'utf8');
  const rendered = doc.render();
  if (committed !== rendered) throw new Error(`${file} differs from what the tables say: run npm run docs`);
  expect(rendered).toBe(doc.render()); // deterministic
});

test('docs/ops.md names every op, every refusal reason and every reason code', () => {
  const text = renderOps();
  for (const [name, def] of OPS) {
    expect(text).toContain(`| ${name} |`);
    for (const r of def.refuses ?? []) expect(text).toContain(`${r.variant} (\`${r.reason}\`)`);
  }
  for (const c of Object.keys(REASONS)) expect(text).toContain(`| \`${c}\` |`);
});

test('docs/diagnostics.md lists every code once with what to do', () => {
  const text = renderDiagnostics();
  expect(CATALOGUE.length).toBeGreaterThan(20);
  for (const e of CATALOGUE) {
    expect(e.meaning.length).toBeGreaterThan(10);
    expect(e.action.length).toBeGreaterThan(10);
    expect(text.split(`| \`${e.code}\` |`)).toHaveLength(2);
  }
  expect(new Set(CATALOGUE.map((e) => e.code)).size).toBe(CATALOGUE.length);
});
