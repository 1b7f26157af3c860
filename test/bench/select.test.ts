// --select measured's rule, on given timings: the median paired ratio must
// reach the margin and the sign test must say TVM wins more runs than chance.

import { SELECT_P_VALUE, decide, type ClusterTiming } from '../../src/pipeline/select.js';

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
