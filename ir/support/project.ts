// Where tf2tvm's own files are: the first folder above this module holding
// both package.json and scripts/, so it is found whether the module runs
// compiled (dist/ir/support) or under ts-jest (ir/support).

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { errors } from './diagnostics.js';

function findRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'scripts'))) return dir;
    const up = path.dirname(dir);
    if (up === dir)
      throw errors.internal(
        `cannot find the tf2tvm project folder (package.json and scripts/) above ${path.dirname(fileURLToPath(import.meta.url))}`,
      );
    dir = up;
  }
}

export const PROJECT_ROOT = findRoot();

export function projectPath(...parts: string[]): string {
  return path.join(PROJECT_ROOT, ...parts);
}

export const VERSION: string = (JSON.parse(readFileSync(projectPath('package.json'), 'utf8')) as { version: string }).version;
