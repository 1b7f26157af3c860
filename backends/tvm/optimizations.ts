// The named optimisations the TVM build applies on top of relay.build.
//
// Every one is on by default; `compile --disable-opt NAME,...` builds without
// some (to measure what each buys, or to rule one out when a result looks
// wrong). The disabled set is part of the build-cache key. The Python side
// (backends/tvm/optimizations.py) keeps the same list; a test checks both.
// What each buys, measured: docs/performance.md.

import { errors } from '../../ir/support/diagnostics.js';

export interface Optimization {
  readonly name: string;
  readonly kind: 'relay-pass' | 'x86-schedule';
  readonly summary: string;
}

export const OPTIMIZATIONS: readonly Optimization[] = [
  {
    name: 'expand-pow',
    kind: 'relay-pass',
    summary: 'power(x, c) with c in {1, 2, 3, 4, 0.5, -0.5, -1} as multiplies, sqrt, rsqrt or a division instead of a powf call per element',
  },
  { name: 'fold-pad', kind: 'relay-pass', summary: "an explicit zero Pad before a convolution becomes the convolution's padding" },
  { name: 'convert-layout', kind: 'relay-pass', summary: 'NHWC convolutions run in NCHW(c), with transposes at the edges only' },
  { name: 'canonicalize', kind: 'relay-pass', summary: 'bias_add as expand_dims + add, so the layout change flows through biases' },
  { name: 'fast-math', kind: 'relay-pass', summary: 'exp, tanh, erf, softmax and sigmoid as vectorised polynomials, not libm calls' },
  { name: 'keep-data-scales', kind: 'relay-pass', summary: 'a run-time channel scale stays on the activations instead of rescaling the weights' },
  { name: 'injective', kind: 'x86-schedule', summary: "x86's injective schedule for add, subtract, multiply, divide and reshape" },
  { name: 'batch-matmul', kind: 'x86-schedule', summary: 'a packed float32 batch_matmul' },
  { name: 'reduce', kind: 'x86-schedule', summary: 'vectorised reductions that keep the innermost axis (spatial means)' },
  { name: 'conv-tiles', kind: 'x86-schedule', summary: 'register tiles of 8-16 for untuned convolutions whose width has no useful divisor' },
  { name: 'winograd', kind: 'x86-schedule', summary: 'Winograd F(4x4, 3x3) for float32 3x3 stride-1 convolutions with enough channels' },
];

/** Validated, de-duplicated and sorted (so the cache key does not depend on the order given). */
export function disabledOptimizations(names: readonly string[]): string[] {
  const known = new Set(OPTIMIZATIONS.map((o) => o.name));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length > 0) {
    throw errors.usage(`unknown optimisation ${unknown.map((n) => `'${n}'`).join(', ')} in --disable-opt; known: ${[...known].join(', ')}`);
  }
  return [...new Set(names)].sort();
}
