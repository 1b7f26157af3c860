// What an op table declares, checked against what its type rules do: every
// refusal an entry lists (and docs/ops.md shows) has a graph here that is
// refused with that reason code, and the dtypes an entry lists are the ones
// it compiles. Each category test file gives the graphs for its table.

import type { OpTable } from '../../../../ir/tf/registry.js';
import { DT, G, type Analysis } from '../../helpers.js';

/** Builds a graph with the node under test; returns that node's name. */
export type Build = (g: G) => string;
/** The same for one TensorFlow dtype (a DT value) of the data. */
export type BuildWith = (g: G, dtype: number) => string;

/** Checks a node's type rule refused it with `reason`, and the node stays in TensorFlow. */
export function expectRefused(a: Analysis, node: string, reason: string): void {
  expect({ node, reason: a.types(node).refusal?.reason }).toEqual({ node, reason });
  expect(a.mark(node).ok).toBe(false);
}

/**
 * One test per refusal the table lists: `cases[op][variant]` must exist and
 * be refused with the listed reason; a case for a variant the table does not
 * list fails too (the list and the cases cannot drift apart).
 */
export function refusalContract(table: OpTable, cases: Readonly<Record<string, Readonly<Record<string, Build>>>>): void {
  const listed = Object.entries(table).flatMap(([op, def]) => (def.refuses ?? []).map((r) => [op, r.variant, r.reason] as const));
  describe('every refusal the table lists happens', () => {
    if (listed.length > 0) {
      test.each(listed)('%s: %s -> %s', (op, variant, reason) => {
        const build = cases[op]?.[variant];
        if (!build) throw new Error(`no test graph for ${op}'s refusal '${variant}'`);
        const g = new G();
        const node = build(g);
        expectRefused(g.analyze(), node, reason);
      });
    }
    test('no case names a refusal the table does not list', () => {
      const known = new Set(listed.map(([op, v]) => `${op}: ${v}`));
      const stale = Object.entries(cases)
        .flatMap(([op, vs]) => Object.keys(vs).map((v) => `${op}: ${v}`))
        .filter((k) => !known.has(k));
      expect(stale).toEqual([]);
    });
  });
}

const DTYPES: readonly [string, number][] = [
  ['float32', DT.float],
  ['float64', DT.double],
  ['int32', DT.int32],
  ['int64', DT.int64],
  ['bool', DT.bool],
];

/**
 * For every op of the table that lowers: data of each of float32, float64,
 * int32, int64 and bool compiles when the entry lists the dtype (absent: all)
 * and is refused with unsupported-dtype otherwise.
 */
export function dtypeContract(table: OpTable, builds: Readonly<Record<string, BuildWith>>): void {
  const ops = Object.entries(table).filter(([, d]) => d.lower);
  const rows = ops.flatMap(([op, def]) => DTYPES.map(([name, dt]) => [op, name, dt, !def.dtypes || def.dtypes.includes(name as never)] as const));
  describe('the dtypes each entry lists are the ones it compiles', () => {
    test.each(rows)('%s on %s', (op, _name, dt, accepted) => {
      const build = builds[op];
      if (!build) throw new Error(`no dtype test graph for ${op}`);
      const g = new G();
      const node = build(g, dt);
      const a = g.analyze();
      if (accepted) expect({ node, mark: a.mark(node) }).toMatchObject({ node, mark: { ok: true } });
      else expectRefused(a, node, 'unsupported-dtype');
    });
  });
}
