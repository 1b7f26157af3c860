// The HTML report's page from its assets in src/report/assets/: the skeleton
// template.html with the style sheet report.css and the page script report.js
// inlined, so the page stays one self-contained file. The assets are plain
// CSS, JS and HTML that editors, linters and formatters see as such. They are
// read from the source tree when a page is made, through projectPath (as the
// Python scripts under backends/ are), so one copy serves both ts-jest (src/)
// and the compiled CLI (dist/): no build step, nothing to copy or keep in
// step. Each asset opens with a header comment and a blank line, which stay
// out of the page; report.css and report.js go in without their final
// newline, between their tags' lines in the template.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { errors } from '../../ir/support/diagnostics.js';
import { projectPath } from '../../ir/support/project.js';

export const ASSETS_DIR = projectPath('src', 'report', 'assets');

/** What html.ts fills in; the assets fill the rest (css, script). */
export interface PageParts {
  /** Every value is inserted as it is: escape text before. */
  readonly title: string;
  readonly summary: string;
  readonly legend: string;
  readonly graph: string;
  readonly templates: string;
  readonly data: string;
}

export function renderPage(parts: PageParts): string {
  return fillTemplate(readAsset('template.html'), {
    ...parts,
    css: readAsset('report.css').replace(/\n$/, ''),
    script: readAsset('report.js').replace(/\n$/, ''),
  });
}

/** The header comment each asset opens with, by extension (up to the blank line after it). */
const HEADERS: Readonly<Record<string, RegExp>> = {
  '.css': /^\/\*[\s\S]*?\*\/\n\n/,
  '.js': /^(?:\/\/.*\n)+\n/,
  '.html': /^<!--[\s\S]*?-->\n\n/,
};

/** An asset's text without its header comment. */
export function readAsset(file: string): string {
  const text = readFileSync(path.join(ASSETS_DIR, file), 'utf8');
  const header = HEADERS[path.extname(file)]?.exec(text);
  if (!header) throw errors.internal(`report asset ${file} does not open with a header comment and a blank line`);
  return text.slice(header[0].length);
}

/**
 * Replaces each {{name}} in `template` by values[name], in one pass (a value
 * is never scanned for placeholders). A placeholder without a value, a value
 * without a placeholder, or a stray "{{" or "}}" is an internal error.
 */
export function fillTemplate(template: string, values: Readonly<Record<string, string>>): string {
  const pieces = template.split(/\{\{([^{}]*)\}\}/);
  const used = new Set<string>();
  const out = pieces.map((piece, i) => {
    if (i % 2 === 0) {
      const stray = piece.search(/\{\{|\}\}/);
      if (stray >= 0) throw errors.internal(`report template: stray braces in '${piece.slice(Math.max(0, stray - 20), stray + 22)}'`);
      return piece;
    }
    const value = Object.hasOwn(values, piece) ? values[piece] : undefined;
    if (value === undefined) throw errors.internal(`report template: unknown placeholder {{${piece}}}`);
    used.add(piece);
    return value;
  });
  const unfilled = Object.keys(values).filter((k) => !used.has(k));
  if (unfilled.length) throw errors.internal(`report template: no placeholder for ${unfilled.map((k) => `{{${k}}}`).join(', ')}`);
  return out.join('');
}
