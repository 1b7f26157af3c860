// Finds tf2tvm's own files from this module, whether it runs compiled
// (dist/backends/tvm/*.js) or from source under ts-jest (backends/tvm/*.ts):
// walk up to the folder whose package.json is tf2tvm's.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

export function projectRoot(): string {
  if (root !== undefined) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'tf2tvm') return (root = dir);
      } catch {
        // not ours (or unreadable): keep walking
      }
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`cannot find the tf2tvm project folder above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

export function projectFile(...parts: string[]): string {
  return path.join(projectRoot(), ...parts);
}
