// Drives backends/tvm/build.py: one long-running Python process per worker,
// jobs as JSON lines (see build.py for the protocol). Jobs are sent one at a
// time, so a crash is always attributed to the job that caused it.
//
// Outcomes:
// - the job built, or failed inside Python (a Relay error, a TVM error): the
//   promise resolves with the worker's answer; the worker carries on.
// - the process died while building a job (a crash in LLVM, a timeout): the
//   promise resolves with ok: false and the job's log; the next job starts a
//   new process.
// - the process could not start or died before taking the job (no Python, TVM
//   does not import, a protocol error): every queued job of the worker rejects
//   with errors.toolchainFailed carrying the command line and stderr's tail.

import { createHash } from 'node:crypto';
import { existsSync, appendFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { execa } from 'execa';
import { errors, Tf2tvmError } from '../../ir/support/diagnostics.js';
import { onInterruptStop } from '../../ir/support/interrupt.js';
import { projectPath } from '../../ir/support/project.js';
import type { Toolchain } from '../python/toolchain.js';

/** One build, as sent to build.py (field names are the protocol's). */
export interface BuildJob {
  readonly id: string;
  /** Path of the Relay text. */
  readonly relay: string;
  /** Relay weight parameter name -> .npy path. */
  readonly params: Readonly<Record<string, string>>;
  readonly target: string;
  /** Default 3. */
  readonly opt_level?: number;
  /** Path of the .so to write (atomically). */
  readonly out: string;
  /** Optimisations to build without (names from backends/tvm/optimizations.ts; default none). */
  readonly disable?: readonly string[];
  /**
   * AutoTVM: reuse the log at `log` if it exists, else tune `trials` per task and write it there.
   * Candidates are timed through the bridge op's launcher: `launcher` is libtf2tvm_launcher.so
   * (default: build/runtime of this checkout), `threads` the task count per parallel loop
   * (default: tuningThreads()'s rule, applied by the worker).
   */
  readonly tune?: { readonly trials: number; readonly log: string; readonly launcher?: string; readonly threads?: number };
  /** Where the job's log goes; default: a fresh file under the worker's logDir. */
  readonly log?: string;
  /** Keep the log when the job succeeds (default: deleted). */
  readonly keep_log?: boolean;
  /** A log of records to apply (chosen from a tuning database); not with `tune`. */
  readonly tuning_log?: string;
  /** Whose records `tuning_log` holds (default autotvm). */
  readonly tuner?: Tuner;
}

/** The tuners `tune --tuner` offers: AutoTVM's templates (per workload) or the auto-scheduler (per artifact). */
export const TUNERS = ['autotvm', 'ansor'] as const;
export type Tuner = (typeof TUNERS)[number];

/** What a tasks or tune job needs of a build job: the module, how it is optimised, the target. */
type ModuleFields = Pick<BuildJob, 'id' | 'relay' | 'params' | 'target' | 'opt_level' | 'disable' | 'log' | 'keep_log'>;

/** Lists a module's tunable workloads (build.py kind "tasks"). */
export interface TasksJob extends ModuleFields {
  readonly kind: 'tasks';
}

/** Tunes workloads of a module into a tuning database (build.py kind "tune"). */
export interface TuneJob extends ModuleFields {
  readonly kind: 'tune';
  /** Path of the tuning database (JSON lines, appended as measured). */
  readonly db: string;
  /**
   * AutoTVM: workload key -> candidates it should have in the database in all.
   * Ansor: the artifact's candidates in all (its workloads' records in the database count).
   */
  readonly trials: Readonly<Record<string, number>> | number;
  /** Default autotvm. */
  readonly tuner?: Tuner;
  /** Ansor: the artifact's cache key without tuning, which its verdict is recorded under. */
  readonly artifact?: string;
  /** Threads each candidate is measured on (tasks per parallel loop, as the bridge op runs them). */
  readonly threads: number;
  /** The launcher library candidates are timed with (launcherLibrary()). */
  readonly launcher: string;
  /** Time candidates on the servers registered under `key` with the RPC tracker `tracker` (HOST:PORT). */
  readonly rpc?: { readonly tracker: string; readonly key: string };
  readonly seed?: number;
}

export type WorkerJob = BuildJob | TasksJob | TuneJob;

export interface WorkloadTask {
  readonly workload: string;
  readonly task: string;
  readonly flop: number;
  /** How many calls of the module compute this workload. */
  readonly weight: number;
}

/** A kind "tune" summary of one workload. */
export interface WorkloadTuning {
  readonly workload: string;
  readonly task: string;
  readonly flop: number;
  readonly weight: number;
  /** Candidates the search went through (from the database or measured now). */
  readonly trials: number;
  readonly measured: number;
  readonly untuned_ms: number | null;
  readonly best_ms: number | null;
  readonly threads: number;
  readonly seconds: number;
  /** Ansor: why the artifact's build with its best records failed (no verdict recorded). */
  readonly error?: string;
}

export interface TuningTask {
  readonly task: string;
  readonly workload: string;
  readonly trials: number;
  readonly untuned_ms: number | null;
  readonly best_ms: number | null;
  /** Tasks per parallel loop the candidates were timed with (the bridge op's thread count). */
  readonly threads: number;
  /** The best configuration beat the untuned one and went into the log. */
  readonly kept: boolean;
  readonly seconds: number;
}

export type TuningReport = { readonly reused: true } | { readonly reused: false; readonly threads: number; readonly tasks: readonly TuningTask[] };

export type BuildResult =
  | { readonly id: string; readonly ok: true; readonly seconds: number; readonly tvm_version: string; readonly tuning?: TuningReport }
  | { readonly id: string; readonly ok: false; readonly error: string; readonly log?: string };

export type TasksResult =
  | { readonly id: string; readonly ok: true; readonly seconds: number; readonly isa: string; readonly tasks: readonly WorkloadTask[] }
  | { readonly id: string; readonly ok: false; readonly error: string; readonly log?: string };

export type TuneResult =
  | { readonly id: string; readonly ok: true; readonly seconds: number; readonly tuning: readonly WorkloadTuning[] }
  | { readonly id: string; readonly ok: false; readonly error: string; readonly log?: string };

type AnyResult = BuildResult | TasksResult | TuneResult;

export interface WorkerOptions {
  /** TVM_NUM_THREADS of the process (default: all cores). */
  readonly threads?: number;
  /** Folder for job logs that have no `log` of their own (default: <tmp>/tf2tvm-build-logs). */
  readonly logDir?: string;
  /** A job running longer is killed and reported as failed (default: none). */
  readonly timeoutMs?: number;
  /** Sees every stderr line the process writes outside jobs (jobs write to their log). */
  readonly onStderr?: (line: string) => void;
}

const STDERR_TAIL_LINES = 40;
const DEFAULT_OPT_LEVEL = 3;

/**
 * The path of the Python build worker. TF2TVM_BUILD_SCRIPT replaces it (the
 * failure-isolation tests use a deliberately broken one); the script's hash is
 * part of every cache key, so a replaced script never shares cached builds.
 */
export function buildScript(): string {
  return process.env.TF2TVM_BUILD_SCRIPT || projectPath('backends', 'tvm', 'build.py');
}

/** The modules build.py imports from its own folder (a test checks the list against its imports). */
export const WORKER_MODULES = [
  'ansor_db.py',
  'measure.py',
  'optimizations.py',
  'relay_passes.py',
  'tuning_db.py',
  'x86_schedules.py',
  'x86_winograd.py',
] as const;

/** The launcher library tuning times candidates with (runtime/build.sh builds it beside the op library). */
export function launcherLibrary(): string {
  return projectPath('build', 'runtime', 'libtf2tvm_launcher.so');
}

/**
 * The thread count the bridge op will give a cluster's parallel loops, which tuning times
 * candidates with (the same rule as backends/tvm/measure.py's tuning_threads):
 * TF2TVM_NUM_THREADS, else TensorFlow's default intra-op pool size (TF_NUM_INTRAOP_THREADS
 * when positive, else the CPUs this process may run on).
 */
export function tuningThreads(env: Readonly<Record<string, string | undefined>> = process.env): number {
  const own = env.TF2TVM_NUM_THREADS;
  if (own !== undefined && own !== '') {
    const n = Number(own.trim());
    if (!Number.isInteger(n) || n < 1 || n > 4096) {
      throw errors.badFlag('TF2TVM_NUM_THREADS', `'${own}' is not a thread count (an integer from 1 to 4096)`);
    }
    return n;
  }
  const intra = Number.parseInt(env.TF_NUM_INTRAOP_THREADS ?? '', 10);
  return Number.isInteger(intra) && intra > 0 ? intra : os.availableParallelism();
}

/**
 * What the cache key knows of the build code: the worker script and those of
 * WORKER_MODULES beside it, by name and content.
 */
export function buildScriptHash(): string {
  const script = buildScript();
  const dir = path.dirname(script);
  const modules = WORKER_MODULES.filter((m) => existsSync(path.join(dir, m)));
  const h = createHash('sha256');
  for (const [name, file] of [[path.basename(script), script] as const, ...modules.map((m) => [m, path.join(dir, m)] as const)]) {
    const bytes = readFileSync(file);
    h.update(`${name}\0${bytes.length}\0`).update(bytes);
  }
  return h.digest('hex');
}

interface Pending {
  readonly job: WorkerJob;
  readonly resolve: (r: AnyResult) => void;
  readonly reject: (e: Error) => void;
}

type Proc = ReturnType<typeof spawn>;

function spawn(python: string, args: string[], env: Record<string, string>) {
  return execa(python, args, {
    env,
    // TVM's Python package drops a memoization folder in its working directory.
    cwd: os.tmpdir(),
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: false,
    reject: false,
    cleanup: true,
    encoding: 'utf8',
  });
}

let logCounter = 0;

function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80) || 'job';
}

export class BuildWorker {
  readonly command: string;
  private readonly args: string[];
  private readonly queue: Pending[] = [];
  private current: { readonly p: Pending; readonly log: string; timer?: NodeJS.Timeout } | undefined;
  private proc: Proc | undefined;
  private procExited: Promise<void> | undefined;
  private stderrTail: string[] = [];
  private closing = false;
  private broken: Error | undefined;
  private timedOut = false;
  private readonly logDir: string;

  constructor(
    private readonly toolchain: Toolchain,
    private readonly opts: WorkerOptions = {},
  ) {
    this.args = ['-u', buildScript()];
    this.command = [toolchain.python, ...this.args].join(' ');
    this.logDir = opts.logDir ?? path.join(os.tmpdir(), 'tf2tvm-build-logs');
  }

  /** The running Python process's id, if one is running. */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Queues a job; resolves with build.py's answer (see the file comment for rejections). */
  build(job: BuildJob): Promise<BuildResult> {
    return this.run(job) as Promise<BuildResult>;
  }

  /** Queues a tasks job: the module's tunable workloads. */
  tasks(job: TasksJob): Promise<TasksResult> {
    return this.run(job) as Promise<TasksResult>;
  }

  /** Queues a tune job: the workloads tuned into the database. */
  tune(job: TuneJob): Promise<TuneResult> {
    return this.run(job) as Promise<TuneResult>;
  }

  private run(job: WorkerJob): Promise<AnyResult> {
    if (this.closing) return Promise.reject(errors.internal(`build job '${job.id}' given to a closed BuildWorker`));
    if (this.broken) return Promise.reject(this.broken);
    return new Promise<AnyResult>((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      this.pump();
    });
  }

  /** Finishes the queued jobs, then ends the process (it exits when stdin closes). */
  close(): Promise<void> {
    return (this.closed ??= this.closeNow());
  }

  private closed: Promise<void> | undefined;

  private async closeNow(): Promise<void> {
    this.closing = true;
    if (this.queue.length > 0 || this.current) {
      await new Promise<void>((resolve) => {
        this.onIdle = resolve;
      });
    }
    if (this.proc) {
      this.proc.stdin.end();
      await this.procExited;
    }
  }

  /** Stops now: the running and queued jobs reject. */
  async kill(): Promise<void> {
    this.closing = true;
    const err = errors.toolchainFailed(`build worker killed (${this.command})`);
    this.failAll(err);
    if (this.proc) {
      this.proc.kill('SIGKILL');
      await this.procExited;
    }
  }

  private onIdle: (() => void) | undefined;

  private pump(): void {
    if (this.current) return;
    const next = this.queue.shift();
    if (!next) {
      const idle = this.onIdle;
      this.onIdle = undefined;
      idle?.();
      return;
    }
    try {
      this.ensureProcess();
    } catch (e) {
      next.reject(e as Error);
      this.pump();
      return;
    }
    const log = next.job.log ?? path.join(this.logDir, `${safeName(next.job.id)}.${process.pid}.${++logCounter}.log`);
    try {
      mkdirSync(path.dirname(log), { recursive: true });
      rmSync(log, { force: true });
    } catch {
      // build.py reports an unwritable log itself
    }
    const wire = {
      ...next.job,
      opt_level: next.job.opt_level ?? DEFAULT_OPT_LEVEL,
      disable: next.job.disable ?? [],
      log,
      keep_log: next.job.keep_log ?? false,
    };
    this.current = { p: next, log };
    if (this.opts.timeoutMs !== undefined) {
      this.current.timer = setTimeout(() => {
        this.timedOut = true;
        this.proc?.kill('SIGKILL');
      }, this.opts.timeoutMs);
    }
    this.proc!.stdin.write(JSON.stringify(wire) + '\n');
  }

  private ensureProcess(): void {
    if (this.proc) return;
    const proc = spawn(this.toolchain.python, this.args, this.toolchain.env({ threads: this.opts.threads }));
    this.proc = proc;
    this.stderrTail = [];
    this.timedOut = false;
    proc.stdin.on('error', () => {
      // EPIPE after a crash: the exit handler reports it
    });
    createInterface({ input: proc.stdout }).on('line', (line) => this.onLine(proc, line));
    createInterface({ input: proc.stderr }).on('line', (line) => {
      this.stderrTail.push(line);
      if (this.stderrTail.length > STDERR_TAIL_LINES) this.stderrTail.shift();
      this.opts.onStderr?.(line);
    });
    this.procExited = proc.then((r) => {
      unregister();
      this.onExit(proc, r.exitCode, r.signal, r.failed && r.exitCode === undefined ? r.originalMessage : undefined);
    });
    // SIGINT/SIGTERM stop the worker before the staging folder is removed.
    const exited = this.procExited;
    const unregister = onInterruptStop(() => {
      proc.kill('SIGKILL');
      return exited;
    });
  }

  private onLine(proc: Proc, line: string): void {
    if (proc !== this.proc || line.trim() === '') return;
    let reply: unknown;
    try {
      reply = JSON.parse(line);
    } catch {
      this.protocolError(`build worker wrote a line that is not JSON: ${line.slice(0, 200)}`);
      return;
    }
    const cur = this.current;
    const r = reply as Partial<Record<string, unknown>>;
    if (!cur || typeof r !== 'object' || r === null || r.id !== cur.p.job.id || typeof r.ok !== 'boolean') {
      this.protocolError(`unexpected answer from the build worker: ${line.slice(0, 200)}`);
      return;
    }
    this.finishCurrent();
    if (r.ok) {
      cur.p.resolve({
        id: cur.p.job.id,
        ok: true,
        seconds: typeof r.seconds === 'number' ? r.seconds : NaN,
        tvm_version: typeof r.tvm_version === 'string' ? r.tvm_version : '',
        ...(typeof r.tuning === 'object' && r.tuning !== null ? { tuning: r.tuning as TuningReport } : {}),
        // kind "tasks" (checked by the caller's types only as far as build.py's protocol says)
        ...(Array.isArray(r.tasks) ? { tasks: r.tasks as WorkloadTask[] } : {}),
        ...(typeof r.isa === 'string' ? { isa: r.isa } : {}),
      });
    } else {
      const log = typeof r.log === 'string' && r.log !== '' ? r.log : undefined;
      cur.p.resolve({
        id: cur.p.job.id,
        ok: false,
        error: typeof r.error === 'string' ? r.error : 'unknown error',
        ...(log !== undefined ? { log } : {}),
      });
    }
    this.pump();
  }

  private finishCurrent(): void {
    if (this.current?.timer) clearTimeout(this.current.timer);
    this.current = undefined;
  }

  private onExit(proc: Proc, code: number | undefined, signal: string | undefined, spawnError: string | undefined): void {
    if (proc !== this.proc) return;
    this.proc = undefined;
    const cur = this.current;
    this.finishCurrent();
    const how = spawnError ?? (signal ? `was killed by ${signal}` : `exited with code ${code ?? '?'}`);
    if (cur && existsSync(cur.log)) {
      // The job had started (build.py creates its log first): it is the job's failure.
      const why = this.timedOut ? `build timed out after ${(this.opts.timeoutMs ?? 0) / 1000} s` : `build worker ${how} during the build`;
      try {
        appendFileSync(cur.log, `\ntf2tvm: ${why}\ncommand: ${this.command}\n`);
      } catch {
        // the log is best effort here
      }
      cur.p.resolve({ id: cur.p.job.id, ok: false, error: why, log: cur.log });
      this.pump();
      return;
    }
    if (!cur) return; // exited while idle: the next job starts a new process
    // Died before taking the job: the toolchain itself is broken.
    this.queue.unshift(cur.p);
    this.broken = this.failure(`build worker ${how} before taking a job`);
    this.failAll(this.broken);
  }

  private protocolError(what: string): void {
    const err = this.failure(what);
    this.broken = err;
    this.failAll(err);
    this.proc?.kill('SIGKILL');
  }

  private failAll(err: Error): void {
    const cur = this.current;
    this.finishCurrent();
    const all = [...(cur ? [cur.p] : []), ...this.queue.splice(0)];
    for (const p of all) p.reject(err);
    const idle = this.onIdle;
    this.onIdle = undefined;
    idle?.();
  }

  private failure(what: string): Tf2tvmError {
    const base = errors.toolchainFailed(`${what} (command: ${this.command})`);
    const tail = this.stderrTail.length > 0 ? this.stderrTail.join('\n') : '(stderr was empty)';
    return new Tf2tvmError(base.code, base.message, base.exitCode, `stderr (last lines):\n${tail}`);
  }
}

export interface BuildAllOptions<J extends BuildJob> {
  /** Worker processes (default 1); each gets cores / jobs TVM threads. */
  readonly jobs?: number;
  readonly onResult?: (job: J, result: BuildResult) => void;
  readonly worker?: Omit<WorkerOptions, 'threads'>;
}

/** Builds every job on `jobs` workers; results come back in the jobs' order. */
export async function buildAll<J extends BuildJob>(toolchain: Toolchain, jobs: readonly J[], opts: BuildAllOptions<J> = {}): Promise<BuildResult[]> {
  const n = Math.max(1, Math.min(Math.floor(opts.jobs ?? 1), jobs.length));
  if (jobs.length === 0) return [];
  const threads = Math.max(1, Math.floor(os.availableParallelism() / n));
  const workers = Array.from({ length: n }, () => new BuildWorker(toolchain, { ...opts.worker, threads }));
  const results: BuildResult[] = new Array<BuildResult>(jobs.length);
  let next = 0;
  try {
    await Promise.all(
      workers.map(async (w) => {
        while (next < jobs.length) {
          const i = next++;
          const job = jobs[i]!;
          const r = await w.build(job);
          results[i] = r;
          opts.onResult?.(job, r);
        }
      }),
    );
  } catch (e) {
    await Promise.all(workers.map((w) => w.kill()));
    throw e;
  }
  await Promise.all(workers.map((w) => w.close()));
  return results;
}
