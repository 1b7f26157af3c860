// TensorFlow's op registry for the attribute check (ir/tf/op-defs.ts), from
// the toolchain's own TensorFlow. Generated on first use by a Python step
// (backends/tf/op_registry.py, about 3 s) and cached in the user cache as
// op-registry-<toolchain key>-<dump key>.json, so each toolchain generates it
// once; the dump key hashes the dump script (and the document's format), so
// a changed dump never reads an older one's file. A cached file that does not
// parse, or has another format (a write cut short, a hand edit), is generated again.
// Written through a temporary file and a rename, so two compiles starting at
// once both read a complete document.

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runPythonStep } from '../python/step.js';
import { findToolchain, userCacheRoot } from '../python/toolchain.js';
import { OP_REGISTRY_FORMAT, type OpRegistry } from '../../ir/tf/op-defs.js';
import { projectPath } from '../../ir/support/project.js';

const SCRIPT = projectPath('backends', 'tf', 'op_registry.py');

/** The dump's own key: the document format and the dump script's bytes (first 12 hex of their sha256). */
export function opRegistryDumpKey(script: string = SCRIPT): string {
  return createHash('sha256').update(`format ${OP_REGISTRY_FORMAT}\n`).update(readFileSync(script)).digest('hex').slice(0, 12);
}

/** The cache file of the registry for a toolchain key. */
export function opRegistryPath(key: string): string {
  return path.join(userCacheRoot(), `op-registry-${key}-${opRegistryDumpKey()}.json`);
}

/** A registry document as the current dump writes it, or undefined (another format, not JSON). */
export function parseOpRegistry(text: string): OpRegistry | undefined {
  try {
    const doc = JSON.parse(text) as Partial<OpRegistry>;
    if (doc.format === OP_REGISTRY_FORMAT && typeof doc.ops === 'object' && doc.ops !== null && typeof doc.tensorflow === 'string')
      return doc as OpRegistry;
  } catch {
    // not JSON: generate it again
  }
  return undefined;
}

let loaded: Promise<OpRegistry> | undefined;

async function load(): Promise<OpRegistry> {
  const tc = await findToolchain();
  const file = opRegistryPath(tc.key);
  try {
    const cached = parseOpRegistry(readFileSync(file, 'utf8'));
    if (cached) return cached;
  } catch {
    // absent or unreadable: generate it
  }
  const doc = await runPythonStep<OpRegistry>({
    script: SCRIPT,
    args: [],
    what: "dumping TensorFlow's op registry",
    toolchain: tc,
  });
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(doc));
    try {
      renameSync(tmp, file);
    } finally {
      rmSync(tmp, { force: true });
    }
  } catch {
    // a read-only cache: use the document without keeping it
  }
  return doc;
}

/** The registry (once per process). */
export function opRegistry(): Promise<OpRegistry> {
  loaded ??= load();
  return loaded;
}

/** The cached registry if a run generated it already (no Python), else undefined. */
export async function cachedOpRegistry(): Promise<OpRegistry | undefined> {
  const tc = await findToolchain();
  try {
    return parseOpRegistry(readFileSync(opRegistryPath(tc.key), 'utf8'));
  } catch {
    return undefined;
  }
}
