// Runs named passes in order. Each pass declares what it needs from the state;
// under `verify` the IR verifier runs after each pass and names the pass that
// broke an invariant; `printAfter` dumps the state after the chosen passes.

import { errors } from '../ir/support/diagnostics.js';
import type { State } from './state.js';

export interface Pass {
  readonly name: string;
  readonly requires: readonly (keyof State)[];
  run(state: State): State;
  /** Invariants of what this pass produced; returns problems. */
  verify?(state: State): string[];
  /** Deterministic text of what this pass produced. */
  print?(state: State): string;
}

export interface PassManagerOptions {
  readonly verify: boolean;
  /** Pass names (or 'all') after which to print. */
  readonly printAfter: readonly string[];
  readonly print: (pass: string, text: string) => void;
  readonly disabled?: readonly string[];
}

export function runPasses(passes: readonly Pass[], state: State, opts: PassManagerOptions): State {
  const known = new Set(passes.map((p) => p.name));
  for (const name of [...opts.printAfter, ...(opts.disabled ?? [])]) {
    if (name !== 'all' && !known.has(name)) {
      throw errors.badFlag('pass name', `unknown pass '${name}' (passes: ${[...known].join(', ')})`);
    }
  }
  let s = state;
  for (const p of passes) {
    if (opts.disabled?.includes(p.name)) continue;
    for (const r of p.requires) {
      if (s[r] === undefined) throw errors.internal(`pass ${p.name} needs '${String(r)}', which no earlier pass produced`);
    }
    s = p.run(s);
    if (opts.verify && p.verify) {
      const problems = p.verify(s);
      if (problems.length) throw errors.irInvalid(p.name, problems.slice(0, 5).join('; '));
    }
    if (p.print && (opts.printAfter.includes('all') || opts.printAfter.includes(p.name))) {
      opts.print(p.name, p.print(s));
    }
  }
  return s;
}
