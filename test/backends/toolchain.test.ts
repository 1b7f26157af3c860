// Finding the toolchain without running it: the venv path and key agree with
// scripts/setup-toolchain, versions come from package metadata, and every
// missing piece is named. Host target: the cpu name from CPU flags.

import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { errors } from '../../ir/support/diagnostics.js';
import { PROJECT_ROOT, projectPath } from '../../ir/support/project.js';
import { cpuinfoFlags, findToolchain, hostTarget, llvmCpuForFlags, toolchainLocation } from '../../backends/python/toolchain.js';

describe('findToolchain', () => {
  test('finds the environment scripts/setup-toolchain reports', async () => {
    const tc = await findToolchain();
    const r = await execa(projectPath('scripts', 'setup-toolchain'), [], { stdin: 'ignore' });
    expect(tc.venv).toBe(String(r.stdout).trim());
    expect(tc.key).toBe(readFileSync(path.join(tc.venv, '.tf2tvm-complete'), 'utf8').trim());
    expect(existsSync(tc.python)).toBe(true);
    expect(tc.env({ threads: 3 })).toEqual({ TVM_FFI: 'ctypes', TOPHUB_LOCATION: 'NONE', TVM_NUM_THREADS: '3' });
    expect(Number(tc.env().TVM_NUM_THREADS)).toBe(os.availableParallelism());
  });

  test('reads the TVM and TensorFlow versions from package metadata', async () => {
    const tc = await findToolchain();
    const pins = readFileSync(projectPath('scripts', 'toolchain', 'pins.txt'), 'utf8');
    const [, tvmDist, tvmPin] = /^tvm:(\S+)==(\S+)$/m.exec(pins) ?? [];
    const tfPin = /^tensorflow(?:-cpu)?==(\S+)$/m.exec(pins)?.[1];
    const tvm = await tc.tvmVersion();
    expect(tvm).toMatch(/^\d+\.\d+\.\S+ \(\S+ \S+\)$/);
    expect(tvm.endsWith(`(${tvmDist} ${tvmPin})`)).toBe(true);
    expect(await tc.tensorflowVersion()).toBe(tfPin);
  });

  test("the environment's console scripts start the environment's own interpreter", async () => {
    const tc = await findToolchain();
    const bin = path.join(tc.venv, 'bin');
    const scripts = readdirSync(bin).filter((n) => {
      const p = path.join(bin, n);
      return !lstatSync(p).isSymbolicLink() && readFileSync(p).subarray(0, 2).toString() === '#!';
    });
    expect(scripts).toEqual(expect.arrayContaining(['pip', 'saved_model_cli']));
    for (const n of scripts) {
      const interpreter = (readFileSync(path.join(bin, n), 'utf8').split('\n')[0] ?? '').slice(2).trim().split(' ')[0] ?? '';
      if (interpreter.startsWith('/bin/') || interpreter.startsWith('/usr/')) continue; // activate helpers and the like
      expect(`${n}: ${interpreter}`).toBe(`${n}: ${path.join(bin, path.basename(interpreter))}`);
      expect(existsSync(interpreter)).toBe(true);
    }
  });

  describe('says what is missing', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'tf2tvm-tc-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    const find = (venv: string) => findToolchain({ env: { ...process.env, TF2TVM_TOOLCHAIN_DIR: venv } });
    const missing = (re: RegExp) => expect.objectContaining({ code: errors.toolchainMissing.code, message: expect.stringMatching(re) as unknown });

    test('no folder', async () => {
      await expect(find(path.join(dir, 'nope'))).rejects.toEqual(
        missing(/no Python environment at .*nope \(from TF2TVM_TOOLCHAIN_DIR\).*; run scripts\/setup-toolchain$/),
      );
    });
    test('no stamp', async () => {
      await expect(find(dir)).rejects.toEqual(missing(/incomplete \(no \.tf2tvm-complete stamp\)/));
    });
    test('stamp for other pins', async () => {
      writeFileSync(path.join(dir, '.tf2tvm-complete'), '0123456789abcdef\n');
      await expect(find(dir)).rejects.toEqual(missing(/made for pins key 0123456789abcdef, but .* now hash to [0-9a-f]{16}/));
    });
    test('no interpreter, then no TVM', async () => {
      writeFileSync(path.join(dir, '.tf2tvm-complete'), toolchainLocation().key + '\n');
      await expect(find(dir)).rejects.toEqual(missing(/no interpreter at .*bin\/python/));
      mkdirSync(path.join(dir, 'bin'));
      writeFileSync(path.join(dir, 'bin', 'python'), '');
      mkdirSync(path.join(dir, 'lib', 'python3.11', 'site-packages'), { recursive: true });
      await expect(find(dir)).rejects.toEqual(missing(/TVM is not installed in .*site-packages/));
    });
  });

  test('the location follows XDG_CACHE_HOME and HOME like the script', () => {
    const key = toolchainLocation().key;
    expect(toolchainLocation({ XDG_CACHE_HOME: '/x/cache', HOME: '/h' }).venv).toBe(`/x/cache/tf2tvm/toolchain-${key}`);
    expect(toolchainLocation({ XDG_CACHE_HOME: '', HOME: '/h' }).venv).toBe(`/h/.cache/tf2tvm/toolchain-${key}`);
    expect(toolchainLocation({ TF2TVM_TOOLCHAIN_DIR: '/t', HOME: '/h' }).venv).toBe('/t');
  });
});

describe('hostTarget', () => {
  const cpu = (flags: string) => `processor\t: 0\nmodel name\t: test\nflags\t\t: fpu sse2 ${flags}\n\nprocessor\t: 1\nflags\t\t: fpu\n`;
  test.each([
    ['avx2 fma avx512f avx512_vnni', 'cascadelake'],
    ['avx2 fma avx512f', 'skylake-avx512'],
    ['avx2 fma', 'haswell'],
    ['avx2', 'x86-64'],
    ['', 'x86-64'],
  ])('flags "%s" -> %s', (flags, name) => {
    expect(hostTarget({ arch: 'x64', cpuinfo: cpu(flags) })).toBe(`llvm -mtriple=x86_64-linux-gnu -mcpu=${name}`);
    expect(llvmCpuForFlags(cpuinfoFlags(cpu(flags)))).toBe(name);
  });
  test('always names the triple and a cpu (never -mcpu=native)', () => {
    expect(hostTarget()).toMatch(/^llvm -mtriple=x86_64-linux-gnu -mcpu=(cascadelake|skylake-avx512|haswell|x86-64)$/);
    expect(hostTarget({ arch: 'arm64' })).toBe('llvm -mtriple=aarch64-linux-gnu');
    expect(() => hostTarget({ arch: 'ppc64' })).toThrow(/no TVM target known/);
  });
});

test('PROJECT_ROOT is the folder of package.json, build.py is under it', () => {
  expect(existsSync(path.join(PROJECT_ROOT, 'package.json'))).toBe(true);
  expect(existsSync(projectPath('backends', 'tvm', 'build.py'))).toBe(true);
});
