// Runs named passes. A pass is typed by the state it takes and the state it
// returns (passes/state.ts), so a pipeline that runs a pass before what it
// needs does not compile. Under `verify` the pass's own invariants are checked
// after it runs, naming the pass that broke one; `printAfter` dumps the state
// after the chosen passes.

import { errors } from '../ir/support/diagnostics.js';

export interface Pass<In, Out extends In> {
  readonly name: string;
  run(state: In): Out;
  /** Invariants of what this pass produced; returns problems. */
  verify?(state: Out): string[];
  /** Deterministic text of what this pass produced. */
  print?(state: Out): string;
}

export interface PassManagerOptions {
  readonly verify: boolean;
  /** Pass names (or 'all') after which to print. */
  readonly printAfter: readonly string[];
  readonly print: (pass: string, text: string) => void;
}

export class PassManager {
  /** `known` lists every pass name of the pipeline, for checking --print-ir-after. */
  constructor(
    known: readonly string[],
    private readonly opts: PassManagerOptions,
  ) {
    for (const name of opts.printAfter) {
      if (name !== 'all' && !known.includes(name)) {
        throw errors.badFlag('pass name', `unknown pass '${name}' (passes: ${known.join(', ')})`);
      }
    }
  }

  run<In, Out extends In>(pass: Pass<In, Out>, state: In): Out {
    return this.after(pass, pass.run(state));
  }

  /** Verifies and prints what `pass` produced, for a driver that ran it itself. */
  after<In, Out extends In>(pass: Pass<In, Out>, out: Out): Out {
    if (this.opts.verify && pass.verify) {
      const problems = pass.verify(out);
      if (problems.length) throw errors.irInvalid(pass.name, problems.slice(0, 5).join('; '));
    }
    const { printAfter } = this.opts;
    if (pass.print && (printAfter.includes('all') || printAfter.includes(pass.name))) this.opts.print(pass.name, pass.print(out));
    return out;
  }
}
