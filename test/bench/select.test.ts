// --select measured's rule, on given timings: the median paired ratio must
// reach the margin and the sign test must say TVM wins more runs than chance;
// and the splitting of lost clusters, with given builds and timings.

import path from 'node:path';
import { analyzeModel } from '../../src/pipeline/analyze.js';
import type { BuildOutcome } from '../../src/pipeline/build.js';
import { SELECT_P_VALUE, decide, selectMeasured, type ClusterTiming } from '../../src/pipeline/select.js';
import { Staging } from '../../src/output.js';
import type { EncapsulatedState } from '../../passes/state.js';
import { fixture, tempDir } from '../helpers.js';

const t = (cluster: string, shapes: string, speedup: number, wins: number, pairs: number, p: number): ClusterTiming => ({
  cluster,
  shapes,
  tf_ms: 10 * speedup,
  tvm_ms: 10,
  speedup,
  tvm_wins: wins,
  pairs,
  p_faster: p,
});

test('keeps a cluster that is faster by the margin and clearly so', () => {
  const [d] = decide(['c0'], [t('c0', '1x8', 1.3, 27, 30, 1e-6)], 0.05);
  expect(d).toMatchObject({ cluster: 'c0', keep: true });
  expect(d!.why).toMatch(/1x8: TVM 10\.000 ms vs TF 13\.000 ms \(1\.30x median of paired runs, TVM faster in 27\/30 runs, p=1\.0e-6\)/);
});

test('drops a cluster below the margin, or above it without a clear sign', () => {
  const [slow, unsure] = decide(['c0', 'c1'], [t('c0', '1x8', 1.04, 25, 30, 1e-4), t('c1', '1x8', 1.06, 17, 30, 0.29)], 0.05);
  expect(slow).toMatchObject({ keep: false, why: expect.stringMatching(/^not faster by 5%: 1x8: .*1\.04x/) as unknown });
  expect(unsure).toMatchObject({
    keep: false,
    why: expect.stringMatching(new RegExp(`^not clearly faster \\(sign test p > ${SELECT_P_VALUE}\\)`)) as unknown,
  });
});

test('every shape set must win; a timing failure or no timing drops the cluster', () => {
  const d = decide(
    ['c0', 'c1', 'c2'],
    [t('c0', '1x8', 1.5, 30, 30, 1e-9), t('c0', '8x8', 0.9, 5, 30, 0.99), { cluster: 'c1', shapes: '1x8', error: 'boom' }],
    0.05,
  );
  expect(d.map((x) => [x.cluster, x.keep])).toEqual([
    ['c0', false],
    ['c1', false],
    ['c2', false],
  ]);
  expect(d[0]!.why).toMatch(/8x8/);
  expect(d[1]!.why).toBe('timing failed: boom');
  expect(d[2]!.why).toBe('not timed');
});

test('a cluster whose timed calls ran the TensorFlow fallback is not kept, whatever its ratio', () => {
  const [d] = decide(['c0'], [{ ...t('c0', '1x8', 1.5, 30, 30, 1e-9), fallback_calls: 3 }], 0.05);
  expect(d).toMatchObject({ keep: false, why: expect.stringMatching(/^not timed in TVM: 3 timed calls ran the TensorFlow fallback/) as unknown });
});

describe('selection below a cluster (selectMeasured on conv_mlp, builds and timings given)', () => {
  const options = { policy: 'compute' as const, minClusterSize: 1, maxClusterSize: Number.MAX_SAFE_INTEGER, excludeOps: [], excludeNodes: [] };
  const quiet = { printAfter: [], verifyIr: true, print: () => undefined };

  /** A build that "builds" every named cluster: one artifact path per shape set, no TVM. */
  const fakeBuild = (state: EncapsulatedState, names: readonly string[]): BuildOutcome => {
    const clusters = state.clusters
      .filter((c) => names.includes(c.name))
      .map((c) => ({ cluster: c, artifacts: [{ path: `clusters/${c.name}/x.so`, sha256: '0'.repeat(64), shapeSet: 0 }] }));
    return { reports: new Map(clusters.map((b) => [b.cluster.name, []])), failed: new Map(), clusters, built: clusters.length, cached: 0 };
  };

  async function run(speedups: Record<string, number>, splitDepth: number) {
    const state = await analyzeModel(fixture('conv_mlp'), [], options, quiet);
    const staging = new Staging(path.join(tempDir(), 'out'));
    const timed: (readonly string[] | undefined)[] = [];
    const written: string[][] = [];
    try {
      const first = fakeBuild(state, ['cluster_0']);
      const outcome = await selectMeasured(staging, state, first.clusters, {
        margin: 0.05,
        splitDepth,
        buildParts: (s, names) => Promise.resolve(fakeBuild(s, names)),
        write: (_s, clusters) => written.push(clusters.map((b) => b.cluster.name)),
        time: (clusters) => {
          timed.push(clusters);
          const names = clusters ?? ['cluster_0'];
          return Promise.resolve(names.map((c) => t(c, '1x28x28x1', speedups[c]!, speedups[c]! > 1 ? 30 : 0, 30, speedups[c]! > 1 ? 1e-9 : 1)));
        },
      });
      return { outcome, timed, written };
    } finally {
      staging.discard();
    }
  }

  test('a lost cluster is split, the winning part kept, the losing part split again down to one compute op', async () => {
    const { outcome, timed, written } = await run({ cluster_0: 0.9, cluster_0_0: 1.4, cluster_0_1: 0.8, cluster_0_1_0: 0.7, cluster_0_1_1: 1.3 }, 2);
    expect(outcome.kept.map((b) => b.cluster.name)).toEqual(['cluster_0_0', 'cluster_0_1_1']);
    expect(outcome.state.clusters.map((c) => c.name)).toEqual(['cluster_0_0', 'cluster_0_1_0', 'cluster_0_1_1']);
    expect(outcome.decisions.map((d) => [d.cluster, d.keep, d.part_of ?? null, d.split_into ?? null])).toEqual([
      ['cluster_0', false, null, ['cluster_0_0', 'cluster_0_1']],
      ['cluster_0_0', true, 'cluster_0', null],
      ['cluster_0_1', false, 'cluster_0', ['cluster_0_1_0', 'cluster_0_1_1']],
      ['cluster_0_1_0', false, 'cluster_0_1', null],
      ['cluster_0_1_1', true, 'cluster_0_1', null],
    ]);
    // The last lost part has one compute op left.
    expect(outcome.decisions[3]!.not_split).toBeUndefined();
    // Only the new parts are timed after the first round, each with the winners so far in the graph.
    expect(timed).toEqual([undefined, ['cluster_0_0', 'cluster_0_1'], ['cluster_0_1_0', 'cluster_0_1_1']]);
    expect(written).toEqual([
      ['cluster_0_0', 'cluster_0_1'],
      ['cluster_0_0', 'cluster_0_1_0', 'cluster_0_1_1'],
    ]);
  });

  test('depth 0 never splits; depth 1 stops after one level and says why the rest was not split', async () => {
    const none = await run({ cluster_0: 0.9 }, 0);
    expect(none.outcome.kept).toEqual([]);
    expect(none.outcome.decisions.map((d) => d.cluster)).toEqual(['cluster_0']);
    expect(none.timed).toEqual([undefined]);
    const one = await run({ cluster_0: 0.9, cluster_0_0: 0.5, cluster_0_1: 0.5 }, 1);
    expect(one.outcome.kept).toEqual([]);
    expect(one.outcome.decisions.map((d) => [d.cluster, d.keep])).toEqual([
      ['cluster_0', false],
      ['cluster_0_0', false],
      ['cluster_0_1', false],
    ]);
  });

  test('a cluster that wins is never split', async () => {
    const { outcome, timed } = await run({ cluster_0: 1.5 }, 2);
    expect(outcome.kept.map((b) => b.cluster.name)).toEqual(['cluster_0']);
    expect(outcome.decisions).toHaveLength(1);
    expect(timed).toEqual([undefined]);
  });
});
