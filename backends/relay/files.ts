// Writes what one build job reads: the Relay text and one .npy per weight.

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { EmittedRelay } from './emit.js';
import { writeNpy } from './npy.js';

export interface RelayFiles {
  /** Path of the .relay text. */
  readonly relay: string;
  /** Relay parameter name -> .npy path, as the build job's `params`. */
  readonly params: Record<string, string>;
}

/** Writes `<dir>/<stem>.relay`; returns its path. */
export function writeRelayText(dir: string, stem: string, emitted: EmittedRelay): string {
  mkdirSync(dir, { recursive: true });
  const relay = path.join(dir, `${stem}.relay`);
  writeFileSync(relay, emitted.text);
  return relay;
}

/** Where writeParamFiles puts each weight: name -> `<dir>/<name>.npy`. */
export function paramFilePaths(dir: string, emitted: EmittedRelay): Record<string, string> {
  return Object.fromEntries(emitted.params.map((p) => [p.name, path.join(dir, `${p.name}.npy`)]));
}

/** Writes `<dir>/<name>.npy` per weight (no folder when there are none); returns name -> path. */
export function writeParamFiles(dir: string, emitted: EmittedRelay): Record<string, string> {
  const params = paramFilePaths(dir, emitted);
  if (emitted.params.length === 0) return params;
  mkdirSync(dir, { recursive: true });
  for (const p of emitted.params) writeNpy(params[p.name]!, p.type, p.bytes);
  return params;
}

/** Writes `<dir>/<stem>.relay` and `<dir>/<stem>.params/<name>.npy`. */
export function writeRelayFiles(dir: string, stem: string, emitted: EmittedRelay): RelayFiles {
  const relay = writeRelayText(dir, stem, emitted);
  return { relay, params: writeParamFiles(path.join(dir, `${stem}.params`), emitted) };
}
