import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { parseCsv, parseCsvFeatures, readCsv } from '../../src/io/index.js';
import { FormatError, ValueError } from '../../src/errors.js';
import { tempDir } from './tmp.js';

const data = resolve(process.cwd(), '../shared/data');

test('iris: 150×4 features, 3 string classes', { skip: !existsSync(join(data, 'iris.csv')) }, () => {
  const d = readCsv(join(data, 'iris.csv'), { labelColumn: 'species' });
  assert.deepEqual(d.x.shape, [150, 4]);
  assert.deepEqual(d.featureNames, ['sepal_length_cm', 'sepal_width_cm', 'petal_length_cm', 'petal_width_cm']);
  assert.deepEqual(d.classes, ['Iris-setosa', 'Iris-versicolor', 'Iris-virginica']);
  const counts = [0, 0, 0];
  for (const v of d.y.data) counts[v]! += 1;
  assert.deepEqual(counts, [50, 50, 50]);
  const sums = [0, 0, 0, 0];
  for (let i = 0; i < 150; i++) for (let j = 0; j < 4; j++) sums[j]! += d.x.data[i * 4 + j]!;
  [876.5, 458.6, 563.7, 179.9].forEach((s, j) => assert.ok(Math.abs(sums[j]! - s) < 1e-3, `column ${j} sums to ${sums[j]}`));
});

test('wdbc: drop the id column, label by name', { skip: !existsSync(join(data, 'wdbc.csv')) }, () => {
  const d = readCsv(join(data, 'wdbc.csv'), { labelColumn: 'diagnosis', dropColumns: ['id'] });
  assert.deepEqual(d.x.shape, [569, 30]);
  assert.deepEqual(d.classes, ['B', 'M']);
  assert.equal(Array.from(d.y.data).filter((v) => v === 1).length, 212);
});

test('numeric labels stay numeric; headerless files; index columns', () => {
  const ints = parseCsv('a,b,y\n1,2,0\n3,4,2\n\n', 't.csv');
  assert.equal(ints.y.dtype, 'int32');
  assert.deepEqual(ints.y.toArray(), [0, 2]);
  assert.equal(ints.classes, null);
  const reals = parseCsv('1.5,2,0.25\r\n-3,4e-1,1\r\n', 'r.csv', { hasHeader: false, labelColumn: 0 });
  assert.equal(reals.y.dtype, 'float32');
  assert.deepEqual(reals.y.toArray(), [1.5, -3]);
  assert.deepEqual(Array.from(reals.x.data), [2, 0.25, Math.fround(0.4), 1]);
  assert.deepEqual(reals.featureNames, ['1', '2']);
});

test('bad cells are FormatErrors naming file, line and column', () => {
  const dir = tempDir();
  const f = join(dir, 'bad.csv');
  const cases: [string, RegExp][] = [
    ['a,b,y\n1,2,x\n3,,y\n', /bad\.csv: line 3, column 2 \('b'\): expected a number, got an empty cell/],
    ['a,b,y\n1,NaN,x\n', /line 2, column 2 \('b'\).*'NaN'/],
    ['a,b,y\n1,abc,x\n', /line 2, column 2.*'abc', which is not a number/],
    ['a,b,y\n1,2\n', /line 2 has 2 cells but the header has 3/],
    ['a,b,y\n1,2,\n', /line 2, column 3 \('y'\): the label is empty/],
    ['', /empty/],
  ];
  for (const [text, re] of cases) {
    writeFileSync(f, text);
    assert.throws(() => readCsv(f), (e: Error) => e instanceof FormatError && re.test(e.message) && e.message.includes(f), text);
  }
  writeFileSync(f, 'a,b,y\n1,2,3\n');
  assert.throws(() => readCsv(f, { labelColumn: 'z' }), ValueError);
});

test('parseCsvFeatures: every column, dropped columns, or named columns in a given order', () => {
  const text = 'id,a,b,label\n1,0.5,2,x\n2,1.5,4,y\n';
  assert.throws(() => parseCsvFeatures(text, 't.csv'), (e: unknown) => e instanceof FormatError && /column 4 \('label'\): expected a number, got 'x'/.test((e as Error).message));
  const kept = parseCsvFeatures(text, 't.csv', { dropColumns: ['id', 'label'] });
  assert.deepEqual(kept.featureNames, ['a', 'b']);
  assert.deepEqual(kept.x.toArray(), [[0.5, 2], [1.5, 4]]);
  const picked = parseCsvFeatures(text, 't.csv', { columns: ['b', 'a'] });
  assert.deepEqual(picked.featureNames, ['b', 'a']);
  assert.deepEqual(picked.x.toArray(), [[2, 0.5], [4, 1.5]]);
  assert.throws(() => parseCsvFeatures(text, 't.csv', { columns: ['c'] }), (e: unknown) => e instanceof ValueError && /'c' is not a column of t\.csv; columns: id, a, b, label/.test((e as Error).message));
});
