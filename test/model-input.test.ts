// Which format a model path is, and the flags that only a SavedModel takes.

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { errors } from '../ir/support/diagnostics.js';
import { modelFormat, prepareModel } from '../src/model-input.js';
import { fixture, tempDir } from './helpers.js';

const dir = tempDir('tf2tvm-format-');

test('the format comes from what the path is: a SavedModel folder, else the extension', () => {
  const sm = path.join(dir, 'sm');
  mkdirSync(sm);
  writeFileSync(path.join(sm, 'saved_model.pb'), '');
  const plain = path.join(dir, 'plain');
  mkdirSync(plain);
  for (const f of ['a.pbtxt', 'b.PBTXT', 'c.keras', 'd.h5', 'e.pb', 'f.bin']) writeFileSync(path.join(dir, f), 'x');
  expect(modelFormat(sm)).toBe('saved_model');
  expect(modelFormat(plain)).toBe('graphdef'); // the reader then says it is a folder
  expect(['a.pbtxt', 'b.PBTXT', 'c.keras', 'd.h5', 'e.pb', 'f.bin'].map((f) => modelFormat(path.join(dir, f)))).toEqual([
    'pbtxt',
    'pbtxt',
    'keras',
    'keras',
    'graphdef',
    'graphdef',
  ]);
  expect(modelFormat(path.join(dir, 'missing.pb'))).toBe('graphdef');
});

test('a binary GraphDef is read as it is; --signature and --tags are refused for it', async () => {
  const m = await prepareModel(fixture('conv_mlp'));
  expect(m.graph).toBe(fixture('conv_mlp'));
  expect(m.frozen).toBeUndefined();
  await expect(prepareModel(fixture('conv_mlp'), { signature: 's' })).rejects.toMatchObject({ code: errors.notSavedModelFlag.code });
  await expect(prepareModel(fixture('conv_mlp'), { tags: ['serve'] })).rejects.toMatchObject({ code: errors.notSavedModelFlag.code });
});
