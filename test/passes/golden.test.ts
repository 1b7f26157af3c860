// Golden tests: the text printed after each pass, and the Relay text, for the
// bundled fixtures. Regenerate with UPDATE_GOLDEN=1 after a deliberate change
// and review the diff.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { emitRelay } from '../../backends/relay/emit.js';
import { analyzeModel } from '../../src/pipeline/analyze.js';
import { projectPath } from '../../ir/support/project.js';
import { PIPELINE } from '../../passes/index.js';
import { fixture } from '../helpers.js';

const update = process.env.UPDATE_GOLDEN === '1';

function golden(file: string, actual: string): void {
  const p = projectPath('test', 'golden', file);
  if (update || !existsSync(p)) {
    if (!update) throw new Error(`golden file ${file} is missing; run with UPDATE_GOLDEN=1`);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, actual);
  }
  expect(actual).toBe(readFileSync(p, 'utf8'));
}

const options = { policy: 'compute' as const, minClusterSize: 1, maxClusterSize: Number.MAX_SAFE_INTEGER, excludeOps: [], excludeNodes: [] };

describe.each([
  ['conv_mlp', [] as string[]],
  ['control_deps', []],
  ['trap_diamond', []],
])('%s', (name, shapes) => {
  const printed = new Map<string, string>();
  let functions: Awaited<ReturnType<typeof analyzeModel>>['functions'];
  beforeAll(async () => {
    const state = await analyzeModel(fixture(name), shapes, options, {
      printAfter: ['all'],
      verifyIr: true,
      print: (pass, text) => printed.set(pass, text),
    });
    functions = state.functions;
  });

  test.each(PIPELINE.map((p) => p.name))('IR after %s', (pass) => {
    golden(`${name}/${pass}.txt`, printed.get(pass)!);
  });

  test('Relay text of every cluster', () => {
    for (const f of functions!) golden(`${name}/${f.cluster}.relay`, emitRelay(f.fn).text);
  });
});
