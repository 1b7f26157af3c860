// The coverage-guided loop: take an input of the corpus, apply a list of
// mutations fast-check generated, run the target, and keep the result in the
// corpus when it reached code no input reached before. Coverage is V8's own
// precise block coverage, read through node:inspector after each execution
// (counts reset on each read), over the project's code only; a feature is a
// block and a bucket of its count (1, 2-3, 4-7, 8+). Crashes are collected,
// one per distinct message.

import { createHash } from 'node:crypto';
import { Session } from 'node:inspector/promises';
import fc from 'fast-check';
import type { OpRegistry } from '../../ir/tf/op-defs.js';
import { applyMutations, mutationsArb, type Mutation } from './mutate.js';
import { runTarget } from './target.js';

export interface Crash {
  readonly bytes: Uint8Array;
  readonly message: string;
  readonly mutations: readonly Mutation[];
}

export interface FuzzOptions {
  readonly seconds: number;
  readonly seed: number;
  /** The corpus to start from (seeds and earlier finds). */
  readonly corpus: readonly Uint8Array[];
  readonly registry: OpRegistry;
  /** Inputs larger than this are not run (default 2 MiB). */
  readonly maxBytes?: number;
  /** An input slower than this counts as a crash (a hang), in ms (default 10 s). */
  readonly slowMs?: number;
  /** Stop after this many executions, if the time has not run out before. */
  readonly maxExecutions?: number;
}

export interface FuzzResult {
  readonly seconds: number;
  readonly executions: number;
  /** Inputs that added coverage, in the order found, with how many features each added. */
  readonly added: readonly { readonly bytes: Uint8Array; readonly features: number }[];
  readonly crashes: readonly Crash[];
  readonly features: number;
}

/** The project's own code (compiled or not), not node_modules, tests or Node's internals. */
const PROJECT_CODE = /\/(ir|passes|src|backends)\/[^?]*\.(js|ts)$/;

function bucket(count: number): number {
  return count >= 8 ? 3 : count >= 4 ? 2 : count >= 2 ? 1 : 0;
}

export function inputId(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

export async function fuzz(opts: FuzzOptions): Promise<FuzzResult> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
  const seen = new Set<string>();
  const scripts = new Map<string, boolean>();
  /** Features the last execution reached that were not seen before (and records them). */
  const newFeatures = async (): Promise<number> => {
    const { result } = await session.post('Profiler.takePreciseCoverage');
    let fresh = 0;
    for (const s of result) {
      let ours = scripts.get(s.scriptId);
      if (ours === undefined) {
        ours = PROJECT_CODE.test(s.url) && !s.url.includes('/node_modules/') && !s.url.includes('/test/');
        scripts.set(s.scriptId, ours);
      }
      if (!ours) continue;
      for (const f of s.functions) {
        for (const r of f.ranges) {
          if (r.count === 0) continue;
          const key = `${s.scriptId}:${r.startOffset}:${r.endOffset}:${bucket(r.count)}`;
          if (!seen.has(key)) {
            seen.add(key);
            fresh++;
          }
        }
      }
    }
    return fresh;
  };

  const maxBytes = opts.maxBytes ?? 2 << 20;
  const slowMs = opts.slowMs ?? 10_000;
  const corpus = [...opts.corpus];
  const added: { bytes: Uint8Array; features: number }[] = [];
  const crashes: Crash[] = [];
  const crashKeys = new Set<string>();
  let executions = 0;
  const start = Date.now();
  const end = start + opts.seconds * 1000;

  // The corpus's own coverage first, so only new behaviour counts as new.
  await newFeatures();
  for (const c of corpus) {
    runTarget(c, opts.registry);
    executions++;
    await newFeatures();
  }

  let batch = 0;
  let rng = opts.seed >>> 0;
  const next = (): number => (rng = (Math.imul(rng, 1664525) + 1013904223) >>> 0);
  const maxExecutions = opts.maxExecutions ?? Infinity;
  while (Date.now() < end && executions < maxExecutions && corpus.length > 0) {
    const lists = fc.sample(mutationsArb, { seed: (opts.seed + batch++) | 0, numRuns: 200 });
    for (const ms of lists) {
      if (Date.now() >= end || executions >= maxExecutions) break;
      // Recent finds a little more often than old ones.
      const r = next() % (corpus.length * 2);
      const seed = corpus[r < corpus.length ? r : corpus.length - 1 - (r % Math.min(corpus.length, 16))] as Uint8Array;
      const bytes = applyMutations(seed, ms);
      if (bytes === undefined || bytes.length > maxBytes || bytes.length === 0) continue;
      const t0 = Date.now();
      const out = runTarget(bytes, opts.registry);
      const ms0 = Date.now() - t0;
      executions++;
      const fresh = await newFeatures();
      const message = out.kind === 'crash' ? out.message : ms0 > slowMs ? `slow: ${ms0} ms` : undefined;
      if (message !== undefined) {
        const key = message.split('\n').slice(0, 2).join('\n');
        if (!crashKeys.has(key)) {
          crashKeys.add(key);
          crashes.push({ bytes, message, mutations: ms });
        }
        continue;
      }
      if (fresh > 0) {
        corpus.push(bytes);
        added.push({ bytes, features: fresh });
      }
    }
  }
  await session.post('Profiler.stopPreciseCoverage');
  session.disconnect();
  return { seconds: (Date.now() - start) / 1000, executions, added, crashes, features: seen.size };
}
