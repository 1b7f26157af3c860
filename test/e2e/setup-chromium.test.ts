// The browser is for the tests only: scripts/setup-chromium installs
// Debian's chromium (saying why) when it is missing, npm test asks for it
// (setup.sh --tests), npm run demo does not.

import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { projectPath } from '../../ir/support/project.js';
import { tempDir } from '../helpers.js';

/** A folder with a fake apt-get that logs its arguments, to put first on PATH. */
function fakeAptGet(): { bin: string; log: string } {
  const bin = tempDir('tf2tvm-fake-apt-');
  const log = path.join(bin, 'calls.log');
  writeFileSync(path.join(bin, 'apt-get'), `#!/bin/sh\necho "$@" >> ${JSON.stringify(log)}\n`);
  chmodSync(path.join(bin, 'apt-get'), 0o755);
  return { bin, log };
}

const setupChromium = (env: Record<string, string>) =>
  execa(projectPath('scripts', 'setup-chromium'), [], { env: { ...process.env, ...env }, reject: false, stdin: 'ignore' });

test('a missing browser is installed with apt-get (as root), saying it is for the tests only', async () => {
  const { bin, log } = fakeAptGet();
  const r = await setupChromium({ TF2TVM_CHROMIUM: path.join(bin, 'no-chromium'), PATH: `${bin}:${process.env.PATH ?? ''}` });
  if (process.getuid?.() === 0) {
    expect(r.exitCode).toBe(0);
    expect(String(r.stderr)).toContain('installing chromium with apt-get, for the tests only');
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual(['update -qq', 'install -y -qq chromium']);
  } else {
    expect(r.exitCode).toBe(1);
    expect(String(r.stderr)).toContain('the HTML report tests need it');
    expect(existsSync(log)).toBe(false);
  }
});

test('a browser that is there is left alone', async () => {
  const { bin, log } = fakeAptGet();
  const r = await setupChromium({ TF2TVM_CHROMIUM: '/bin/true', PATH: `${bin}:${process.env.PATH ?? ''}` });
  expect(r.exitCode).toBe(0);
  expect(String(r.stderr)).toBe('');
  expect(existsSync(log)).toBe(false);
});

test('npm test asks setup.sh for the test needs, npm run demo does not, and setup.sh installs the browser only then', () => {
  const scripts = (JSON.parse(readFileSync(projectPath('package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  expect(scripts.test).toMatch(/^bash scripts\/setup\.sh --tests && /);
  expect(scripts.demo).toBe('bash scripts/setup.sh && bash scripts/demo.sh');
  expect(scripts.setup).toBe('bash scripts/setup.sh');
  const setup = readFileSync(projectPath('scripts', 'setup.sh'), 'utf8');
  expect(setup.match(/setup-chromium$/gm)).toHaveLength(1);
  expect(setup).toMatch(/if \(\( tests \)\); then\n\s+scripts\/setup-chromium\n/);
  expect(setup).not.toMatch(/apt-get/);
});
