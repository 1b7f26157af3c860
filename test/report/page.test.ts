// The HTML report's page assembly (src/report/page.ts): the assets in
// src/report/assets/ open with their header comments, the template's
// placeholders are exactly the ones filled, and a placeholder that is unknown,
// unfilled or malformed throws an internal error instead of leaking into the
// page.

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ASSETS_DIR, fillTemplate, readAsset, renderPage } from '../../src/report/page.js';

test('every asset opens with a header comment that stays out of the page', () => {
  const files = readdirSync(ASSETS_DIR).sort();
  expect(files).toEqual(['report.css', 'report.js', 'template.html']);
  for (const f of files) {
    const raw = readFileSync(path.join(ASSETS_DIR, f), 'utf8');
    const body = readAsset(f);
    expect(raw.endsWith(body)).toBe(true);
    expect(raw.length).toBeGreaterThan(body.length);
    expect(body.startsWith('\n')).toBe(false);
    expect(raw.endsWith('\n')).toBe(true);
  }
});

test('the page fills every placeholder of the template once', () => {
  const parts = { title: 'T&lt;1&gt;', summary: 'S', legend: '<p>L</p>', graph: '<svg></svg>', templates: '', data: '{"a":"{{x}}"}' };
  const page = renderPage(parts);
  expect(page.startsWith('<!DOCTYPE html>\n')).toBe(true);
  expect(page.endsWith('</html>\n')).toBe(true);
  expect(page).toContain('<title>T&lt;1&gt;</title>');
  expect(page).toContain('<h1>T&lt;1&gt;</h1>');
  expect(page).toContain(`<style>\n${readAsset('report.css')}</style>`);
  expect(page).toContain(`<script>\n${readAsset('report.js')}</script>`);
  // A value is inserted as it is, never read as a template.
  expect(page).toContain('<script type="application/json" id="report-data">{"a":"{{x}}"}</script>');
  expect(page.match(/\{\{/g)).toHaveLength(1);
});

test('unknown, unfilled and malformed placeholders are internal errors', () => {
  expect(fillTemplate('a{{x}}b{{y}}c{{x}}', { x: '1', y: '$&' })).toBe('a1b$&c1');
  expect(() => fillTemplate('a{{x}}b{{z}}', { x: '1' })).toThrow(/internal error: report template: unknown placeholder \{\{z\}\}/);
  expect(() => fillTemplate('a{{x}}', { x: '1', y: '2' })).toThrow(/internal error: report template: no placeholder for \{\{y\}\}/);
  expect(() => fillTemplate('a{{ x }}', { x: '1' })).toThrow(/unknown placeholder \{\{ x \}\}/);
  expect(() => fillTemplate('a{{x}', { x: '1' })).toThrow(/stray braces/);
  expect(() => fillTemplate('a{{toString}}', {})).toThrow(/unknown placeholder/);
});
