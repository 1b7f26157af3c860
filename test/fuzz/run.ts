// npm run fuzz -- --seconds N [--seed S]: fuzz the reader, the checks and the
// passes for N seconds from the fixtures and the corpus in fixtures/fuzz/corpus/,
// keep new inputs there (up to 16 KiB each and 400 in all, those that added
// the most coverage first, so the corpus stays small), write
// each crash to fixtures/fuzz/crashes/ (the input and its message: test/fuzz
// replays them all), and add the run to fixtures/fuzz/stats.json, whose
// crashes_open counts the crash inputs that still crash when replayed.

import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { opRegistry } from '../../backends/tf/op-registry.js';
import { projectPath } from '../../ir/support/project.js';
import { fuzz, inputId } from './engine.js';
import { runTarget } from './target.js';

export const FUZZ_DIR = projectPath('fixtures', 'fuzz');
export const CORPUS_DIR = path.join(FUZZ_DIR, 'corpus');
export const CRASHES_DIR = path.join(FUZZ_DIR, 'crashes');
const STATS = path.join(FUZZ_DIR, 'stats.json');
const KEEP_BYTES = 16 << 10;
/** Files the corpus folder keeps at most. */
const MAX_CORPUS = 400;

export interface FuzzRun {
  readonly started: string;
  readonly seed: number;
  readonly seconds: number;
  readonly executions: number;
  readonly corpus_added: number;
  readonly features: number;
  readonly crashes: readonly string[];
}

export interface FuzzStats {
  readonly total_seconds: number;
  readonly total_executions: number;
  readonly corpus_size: number;
  readonly crashes_found: number;
  /** Crash inputs that still crash (replayed after the run; the regression test replays them all). */
  readonly crashes_open: number;
  readonly runs: readonly FuzzRun[];
}

/** The seeds: the fixture models and the corpus. */
export function seedInputs(): Uint8Array[] {
  const models = projectPath('fixtures', 'models');
  const out: Uint8Array[] = readdirSync(models)
    .sort()
    .map((m) => path.join(models, m, 'model.pb'))
    .filter((f) => existsSync(f))
    .map((f) => readFileSync(f));
  if (existsSync(CORPUS_DIR)) for (const f of readdirSync(CORPUS_DIR).sort()) out.push(readFileSync(path.join(CORPUS_DIR, f)));
  return out;
}

function readStats(): FuzzStats | undefined {
  try {
    return JSON.parse(readFileSync(STATS, 'utf8')) as FuzzStats;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const seconds = Number(flag('--seconds'));
  if (!Number.isFinite(seconds) || seconds <= 0) {
    process.stderr.write('usage: npm run fuzz -- --seconds N [--seed S]\n');
    process.exit(2);
  }
  const seed = flag('--seed') !== undefined ? Number(flag('--seed')) : Date.now() % 2 ** 31;
  const registry = await opRegistry();
  const started = new Date().toISOString();
  const r = await fuzz({ seconds, seed, corpus: seedInputs(), registry });

  mkdirSync(CORPUS_DIR, { recursive: true });
  // The finds that added the most coverage, while the corpus has room.
  let kept = 0;
  const room = Math.max(0, MAX_CORPUS - readdirSync(CORPUS_DIR).length);
  const best = r.added.filter((a) => a.bytes.length <= KEEP_BYTES).sort((a, b) => b.features - a.features);
  for (const a of best.slice(0, room)) {
    writeFileSync(path.join(CORPUS_DIR, `${inputId(a.bytes)}.pb`), a.bytes);
    kept++;
  }
  const ids: string[] = [];
  if (r.crashes.length > 0) mkdirSync(CRASHES_DIR, { recursive: true });
  for (const c of r.crashes) {
    const id = inputId(c.bytes);
    ids.push(id);
    writeFileSync(path.join(CRASHES_DIR, `${id}.pb`), c.bytes);
    writeFileSync(
      path.join(CRASHES_DIR, `${id}.txt`),
      `${c.message}\n\nmutations: ${JSON.stringify(c.mutations, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}\n`,
    );
  }
  const before = readStats();
  const run: FuzzRun = {
    started,
    seed,
    seconds: Math.round(r.seconds),
    executions: r.executions,
    corpus_added: kept,
    features: r.features,
    crashes: ids,
  };
  const runs = [...(before?.runs ?? []), run];
  const crashFiles = existsSync(CRASHES_DIR)
    ? readdirSync(CRASHES_DIR)
        .filter((f) => f.endsWith('.pb'))
        .sort()
    : [];
  const open = crashFiles.filter((f) => runTarget(readFileSync(path.join(CRASHES_DIR, f)), registry).kind === 'crash');
  const stats: FuzzStats = {
    total_seconds: runs.reduce((n, x) => n + x.seconds, 0),
    total_executions: runs.reduce((n, x) => n + x.executions, 0),
    corpus_size: readdirSync(CORPUS_DIR).length,
    crashes_found: crashFiles.length,
    crashes_open: open.length,
    runs,
  };
  writeFileSync(STATS, JSON.stringify(stats, null, 2) + '\n');
  process.stdout.write(
    `fuzz: ${run.seconds} s, ${run.executions} executions, ${r.features} features, ${kept} new corpus inputs kept, ${ids.length} crash(es)` +
      (ids.length > 0 ? ` in ${path.relative(process.cwd(), CRASHES_DIR)}: ${ids.join(', ')}` : '') +
      '\n',
  );
  if (ids.length > 0) process.exitCode = 1;
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) await main();
