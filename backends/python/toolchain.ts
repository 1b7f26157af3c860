// The Python toolchain tf2tvm shells out to: the virtual environment made by
// scripts/setup-toolchain. Its place is computed exactly as the script does
// (so finding it never runs the script), and versions are read from the
// installed packages' metadata without importing them.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { errors } from '../../ir/support/diagnostics.js';
import { projectPath } from '../../ir/support/project.js';

export interface Toolchain {
  /** The virtual environment folder. */
  readonly venv: string;
  /** Its interpreter. */
  readonly python: string;
  /** The pins key (first 16 hex of sha256(pins.txt + constraints.txt)). */
  readonly key: string;
  readonly sitePackages: string;
  /**
   * Variables every toolchain process needs: TVM through its ctypes FFI, no
   * TopHub download, and the runtime thread count (default: all cores).
   * Meant to extend the parent's environment (execa's default).
   */
  env(opts?: { threads?: number }): Record<string, string>;
  /** e.g. "0.16.dev0 (hhb-tvm 3.2.3)". */
  tvmVersion(): Promise<string>;
  /** e.g. "2.18.1". */
  tensorflowVersion(): Promise<string>;
}

export interface ToolchainLocation {
  readonly venv: string;
  readonly key: string;
  readonly stamp: string;
}

type Env = Readonly<Record<string, string | undefined>>;

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}

/** The user's cache folder for tf2tvm: $XDG_CACHE_HOME/tf2tvm, else ~/.cache/tf2tvm. */
export function userCacheRoot(env: Env = process.env): string {
  const cacheRoot = nonEmpty(env.XDG_CACHE_HOME) ?? path.join(nonEmpty(env.HOME) ?? os.homedir(), '.cache');
  return path.join(cacheRoot, 'tf2tvm');
}

/** Where scripts/setup-toolchain puts (or put) the environment, and its key. */
export function toolchainLocation(env: Env = process.env): ToolchainLocation {
  const dir = projectPath('scripts', 'toolchain');
  let key: string;
  try {
    const h = createHash('sha256');
    h.update(readFileSync(path.join(dir, 'pins.txt')));
    h.update(readFileSync(path.join(dir, 'constraints.txt')));
    key = h.digest('hex').slice(0, 16);
  } catch (e) {
    throw errors.internal(`cannot read the toolchain pins in ${dir}: ${(e as Error).message}`);
  }
  const venv = nonEmpty(env.TF2TVM_TOOLCHAIN_DIR) ?? path.join(userCacheRoot(env), `toolchain-${key}`);
  return { venv, key, stamp: path.join(venv, '.tf2tvm-complete') };
}

function findSitePackages(venv: string): string | undefined {
  const lib = path.join(venv, 'lib');
  let entries: string[];
  try {
    entries = readdirSync(lib)
      .filter((e) => /^python3\.\d+$/.test(e))
      .sort();
  } catch {
    return undefined;
  }
  for (const e of entries) {
    const site = path.join(lib, e, 'site-packages');
    if (existsSync(site)) return site;
  }
  return undefined;
}

/** Name and Version of a dist-info METADATA file. */
function parseMetadata(text: string): { name: string; version: string } | undefined {
  const head = text.split(/\r?\n\r?\n/, 1)[0] ?? '';
  const name = /^Name:\s*(.+?)\s*$/m.exec(head)?.[1];
  const version = /^Version:\s*(.+?)\s*$/m.exec(head)?.[1];
  return name && version ? { name, version } : undefined;
}

async function findDist(site: string, pattern: RegExp): Promise<{ name: string; version: string } | undefined> {
  const dirs = readdirSync(site)
    .filter((d) => d.endsWith('.dist-info') && pattern.test(d))
    .sort();
  for (const d of dirs) {
    try {
      const meta = parseMetadata(await readFile(path.join(site, d, 'METADATA'), 'utf8'));
      if (meta) return meta;
    } catch {
      // a broken dist-info: try the next one
    }
  }
  return undefined;
}

const TVM_DISTS = /^(hhb[-_]tvm|apache[-_]tvm|tvm|tlcpack[-_a-z0-9]*|mlc[-_]ai[-_a-z0-9]*)-[^-]+\.dist-info$/i;
const TF_DISTS = /^(tensorflow|tensorflow[-_](cpu|gpu|intel|macos|aarch64))-[^-]+\.dist-info$/i;

/** The toolchain if scripts/setup-toolchain completed it; else errors.toolchainMissing saying what is missing. */
export async function findToolchain(opts: { env?: Env } = {}): Promise<Toolchain> {
  const env = opts.env ?? process.env;
  const loc = toolchainLocation(env);
  const where = nonEmpty(env.TF2TVM_TOOLCHAIN_DIR) ? `${loc.venv} (from TF2TVM_TOOLCHAIN_DIR)` : loc.venv;
  if (!existsSync(loc.venv) || !statSync(loc.venv).isDirectory()) {
    throw errors.toolchainMissing(`no Python environment at ${where} (pins key ${loc.key})`);
  }
  if (!existsSync(loc.stamp)) {
    throw errors.toolchainMissing(`the environment at ${where} is incomplete (no .tf2tvm-complete stamp)`);
  }
  const stamp = readFileSync(loc.stamp, 'utf8').trim();
  if (stamp !== loc.key) {
    throw errors.toolchainMissing(
      `the environment at ${where} was made for pins key ${stamp || '(empty)'}, ` +
        `but scripts/toolchain/pins.txt + constraints.txt now hash to ${loc.key}`,
    );
  }
  const python = path.join(loc.venv, 'bin', 'python');
  if (!existsSync(python)) throw errors.toolchainMissing(`no interpreter at ${python}`);
  const site = findSitePackages(loc.venv);
  if (site === undefined) throw errors.toolchainMissing(`no lib/python3.*/site-packages in ${where}`);
  const libinfo = path.join(site, 'tvm', '_ffi', 'libinfo.py');
  if (!existsSync(libinfo)) throw errors.toolchainMissing(`TVM is not installed in ${site} (no tvm/_ffi/libinfo.py)`);

  let tvmVersion: Promise<string> | undefined;
  let tfVersion: Promise<string> | undefined;
  return {
    venv: loc.venv,
    python,
    key: loc.key,
    sitePackages: site,
    env: ({ threads } = {}) => ({
      TVM_FFI: 'ctypes',
      TOPHUB_LOCATION: 'NONE',
      TVM_NUM_THREADS: String(Math.max(1, Math.floor(threads ?? os.availableParallelism()))),
    }),
    tvmVersion: () =>
      (tvmVersion ??= (async () => {
        const text = await readFile(libinfo, 'utf8');
        const v = /^__version__\s*=\s*["']([^"']+)["']/m.exec(text)?.[1];
        if (v === undefined) throw errors.toolchainMissing(`no __version__ in ${libinfo}`);
        const dist = await findDist(site, TVM_DISTS);
        return dist ? `${v} (${dist.name} ${dist.version})` : v;
      })()),
    tensorflowVersion: () =>
      (tfVersion ??= (async () => {
        const dist = await findDist(site, TF_DISTS);
        if (!dist) throw errors.toolchainMissing(`TensorFlow is not installed in ${site} (no tensorflow*.dist-info)`);
        return dist.version;
      })()),
  };
}

/** LLVM cpu name for a set of /proc/cpuinfo flags (x86-64). */
export function llvmCpuForFlags(flags: ReadonlySet<string>): string {
  if (flags.has('avx512f') && flags.has('avx512_vnni')) return 'cascadelake';
  if (flags.has('avx512f')) return 'skylake-avx512';
  if (flags.has('avx2') && flags.has('fma')) return 'haswell';
  return 'x86-64';
}

/** The `flags` of the first processor in a /proc/cpuinfo text. */
export function cpuinfoFlags(cpuinfo: string): Set<string> {
  const line = /^(?:flags|Features)\s*:(.*)$/m.exec(cpuinfo)?.[1] ?? '';
  return new Set(line.trim().split(/\s+/).filter(Boolean));
}

/**
 * The TVM target for this machine. This TVM build's default triple is RISC-V
 * and it rejects -mcpu=native, so the triple is always explicit and the cpu is
 * named from the host's CPU flags.
 */
export function hostTarget(opts: { arch?: string; cpuinfo?: string } = {}): string {
  const arch = opts.arch ?? process.arch;
  if (arch === 'arm64') return 'llvm -mtriple=aarch64-linux-gnu';
  if (arch !== 'x64') throw errors.toolchainFailed(`no TVM target known for host architecture ${arch}; pass --target`);
  let cpuinfo = opts.cpuinfo;
  if (cpuinfo === undefined) {
    try {
      cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
    } catch {
      cpuinfo = '';
    }
  }
  return `llvm -mtriple=x86_64-linux-gnu -mcpu=${llvmCpuForFlags(cpuinfoFlags(cpuinfo))}`;
}
