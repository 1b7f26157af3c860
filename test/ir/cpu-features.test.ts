// The CPU features a bridge node records for its kernel to check, from the TVM target.

import { requiredCpuFeatures } from '../../ir/support/cpu-features.js';

test('from -mcpu, in /proc/cpuinfo spelling, sorted', () => {
  const cascade = requiredCpuFeatures('llvm -mtriple=x86_64-linux-gnu -mcpu=cascadelake');
  expect(cascade).toContain('avx512f');
  expect(cascade).toContain('avx512_vnni');
  expect(cascade).toEqual([...cascade].sort());
  expect(requiredCpuFeatures('llvm -mtriple=x86_64-linux-gnu -mcpu=haswell')).toEqual([
    'avx',
    'avx2',
    'bmi1',
    'bmi2',
    'f16c',
    'fma',
    'movbe',
    'popcnt',
    'sse4_1',
    'sse4_2',
    'ssse3',
  ]);
  expect(requiredCpuFeatures('llvm -mtriple=x86_64-linux-gnu -mcpu=x86-64')).toEqual([]);
});

test('-mattr adds and removes features', () => {
  expect(requiredCpuFeatures('llvm -mtriple=x86_64-linux-gnu -mattr=+avx2,+fma,+sse4.2')).toEqual(['avx2', 'fma', 'sse4_2']);
  expect(requiredCpuFeatures('llvm -mtriple=x86_64-linux-gnu -mcpu=haswell -mattr=-fma')).not.toContain('fma');
  expect(requiredCpuFeatures('llvm -mtriple=x86_64-linux-gnu -mattr=+avx512vnni')).toEqual(['avx512_vnni']);
});

test('nothing for other architectures or unknown cpus', () => {
  expect(requiredCpuFeatures('llvm -mtriple=aarch64-linux-gnu')).toEqual([]);
  expect(requiredCpuFeatures('llvm -mtriple=x86_64-linux-gnu -mcpu=some-future-cpu')).toEqual([]);
});
