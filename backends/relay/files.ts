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

/** Writes `<dir>/<stem>.relay` and `<dir>/<stem>.params/<name>.npy`. */
export function writeRelayFiles(dir: string, stem: string, emitted: EmittedRelay): RelayFiles {
  mkdirSync(dir, { recursive: true });
  const relay = path.join(dir, `${stem}.relay`);
  writeFileSync(relay, emitted.text);
  const params: Record<string, string> = {};
  if (emitted.params.length > 0) {
    const pdir = path.join(dir, `${stem}.params`);
    mkdirSync(pdir, { recursive: true });
    for (const p of emitted.params) {
      const file = path.join(pdir, `${p.name}.npy`);
      writeNpy(file, p.type, p.bytes);
      params[p.name] = file;
    }
  }
  return { relay, params };
}
