// The CPU features code built for a TVM target needs, by their /proc/cpuinfo
// names: the bridge node records them (required_cpu_features) and its
// kernel checks the host's flags before loading an artifact, so an artifact
// built for a newer CPU falls back to TensorFlow instead of dying on an
// illegal instruction. Derived from the target's -mcpu (LLVM's x86 cpu
// names tf2tvm picks, see backends/python/toolchain.ts) and -mattr=+feature.

const HASWELL = ['avx', 'avx2', 'bmi1', 'bmi2', 'f16c', 'fma', 'movbe', 'popcnt', 'sse4_1', 'sse4_2', 'ssse3'];
const SKYLAKE_AVX512 = [...HASWELL, 'avx512bw', 'avx512cd', 'avx512dq', 'avx512f', 'avx512vl'];

const BY_CPU: Readonly<Record<string, readonly string[]>> = {
  'x86-64': [],
  nehalem: ['popcnt', 'sse4_1', 'sse4_2', 'ssse3'],
  sandybridge: ['avx', 'popcnt', 'sse4_1', 'sse4_2', 'ssse3'],
  haswell: HASWELL,
  broadwell: HASWELL,
  skylake: HASWELL,
  'skylake-avx512': SKYLAKE_AVX512,
  cascadelake: [...SKYLAKE_AVX512, 'avx512_vnni'],
  icelake: [...SKYLAKE_AVX512, 'avx512_vnni', 'avx512vbmi', 'avx512_vbmi2'],
  znver2: HASWELL,
  znver3: HASWELL,
};

// LLVM feature names that /proc/cpuinfo spells otherwise.
const LLVM_TO_CPUINFO: Readonly<Record<string, string>> = {
  'sse4.1': 'sse4_1',
  'sse4.2': 'sse4_2',
  bmi: 'bmi1',
  lzcnt: 'abm',
  avx512vnni: 'avx512_vnni',
  avx512vbmi2: 'avx512_vbmi2',
  avx512bf16: 'avx512_bf16',
  avx512bitalg: 'avx512_bitalg',
  avx512vpopcntdq: 'avx512_vpopcntdq',
};

/**
 * The /proc/cpuinfo flags an x86-64 target's code may use, sorted; empty for
 * other triples and for cpus this table does not know (nothing is checked).
 */
export function requiredCpuFeatures(target: string): string[] {
  const words = target.trim().split(/\s+/);
  const option = (name: string): string | undefined => {
    const w = words.find((x) => x.startsWith(`-${name}=`));
    return w?.slice(name.length + 2);
  };
  const triple = option('mtriple');
  if (triple !== undefined && !/^x86_64/.test(triple)) return [];
  const features = new Set(BY_CPU[option('mcpu') ?? 'x86-64'] ?? []);
  for (const f of (option('mattr') ?? '').split(',').filter(Boolean)) {
    const name = f.replace(/^[+-]/, '');
    const flag = LLVM_TO_CPUINFO[name] ?? name;
    if (f.startsWith('-')) features.delete(flag);
    else features.add(flag);
  }
  return [...features].sort();
}
