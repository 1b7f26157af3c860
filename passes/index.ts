// The compilation pipeline, in order (order is important: each pass reads
// what the ones before it produced). `rewrite` runs after the TVM builds, so it
// is not in this list; see src/pipeline/compile.ts.

import type { Pass } from './pass-manager.js';
import { encapsulate } from './encapsulate.js';
import { formClustersPass } from './form-clusters.js';
import { inferShapes } from './infer-shapes.js';
import { markForCompilation } from './mark-for-compilation.js';

export const PIPELINE: readonly Pass[] = [
  inferShapes, // static shapes and compile-time values per shape set
  markForCompilation, // which nodes TVM may take, and why not
  formClustersPass, // cycle-safe contraction into clusters, policy and size limits
  encapsulate, // each cluster -> one IR function per shape set
];
