import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseCsv, parseCsvFeatures, readCsv } from '../../src/io/index.js';
import { FormatError, ValueError } from '../../src/errors.js';
import { tempDir } from './tmp.js';
import { requireData, sharedData } from '../helpers/shared-data.js';

const iris = sharedData('iris.csv');
const wdbc = sharedData('wdbc.csv');

test('iris: 150×4 features, 3 string classes', { skip: iris.skip }, () => {
  requireData(iris);
  const d = readCsv(iris.path, { labelColumn: 'species' });
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

test('wdbc: drop the id column, label by name', { skip: wdbc.skip }, () => {
  requireData(wdbc);
  const d = readCsv(wdbc.path, { labelColumn: 'diagnosis', dropColumns: ['id'] });
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

test('number cells are read in linear time: an 80 KB cell is rejected at once', () => {
  // the former pattern /^[+-]?(\d+\.?\d*|\.\d+)(...)?$/ backtracked quadratically here (18 s);
  // the bound is 50 times what a linear scan needs on a loaded machine
  const long = '1'.repeat(80_000);
  for (const [cell, re] of [[`${long}x`, /expected a number, got '1{40}…', which is not a number/], [long, /1{40}… is outside the float32 range/], [`.${long}e`, /not a number/]] as const) {
    const start = performance.now();
    assert.throws(() => parseCsv(`a,y\n${cell},1\n`, 'long.csv'), (e: Error) => e instanceof FormatError && re.test(e.message));
    assert.ok(performance.now() - start < 1000, `parsing an 80 KB cell took ${performance.now() - start} ms`);
  }
  const start = performance.now();
  // a label that is not a number is a class name
  assert.equal(parseCsv(`a,y\n1,${long}.5x\n`, 'long.csv').classes!.length, 1);
  assert.ok(performance.now() - start < 1000, 'an 80 KB label cell');
});

test('the number grammar: what is a number and what is not', () => {
  const ok: [string, number][] = [['1', 1], ['-2.5', -2.5], ['+.5', 0.5], ['3.', 3], ['1e3', 1000], ['1E-2', 0.01], ['-0', -0], ['007', 7]];
  for (const [cell, v] of ok) assert.equal(parseCsv(`a,y\n${cell},0\n`, 't.csv').x.data[0], Math.fround(v), cell);
  for (const cell of ['.', '+', 'e5', '1e', '1e+', '1.2.3', '0x10', 'NaN', 'Infinity', '1_000', '١']) {
    assert.throws(() => parseCsv(`a,y\n${cell},0\n`, 't.csv'), FormatError, cell);
  }
});

test('values float32 cannot hold and labels beyond int32 are FormatErrors, not Infinity or a wrapped class', () => {
  const fails: [string, RegExp][] = [
    ['a,y\n1e39,1\n', /line 2, column 1 \('a'\): 1e39 is outside the float32 range/],
    ['a,y\n-4e38,1\n', /-4e38 is outside the float32 range/],
    ['a,y\n1,4294967297\n2,0\n', /line 2, column 2 \('y'\): label 4294967297 is outside the int32 range/],
    ['a,y\n1,0\n2,-2147483649\n', /line 3, column 2 \('y'\): label -2147483649 is outside the int32 range/],
    ['a,y\n1,0.5\n2,1e39\n', /line 3, column 2 \('y'\): label 1e39 is outside the float32 range/],
  ];
  for (const [text, re] of fails) assert.throws(() => parseCsv(text, 'big.csv'), (e: Error) => e instanceof FormatError && e.message.startsWith('big.csv: ') && re.test(e.message), text);
  const edge = parseCsv('a,y\n3.4e38,2147483647\n-3.4e38,-2147483648\n', 'edge.csv');
  assert.deepEqual(Array.from(edge.y.data), [2147483647, -2147483648]);
  assert.deepEqual(Array.from(edge.x.data), [Math.fround(3.4e38), Math.fround(-3.4e38)]);
});

test('duplicate column names are a FormatError naming both columns', () => {
  assert.throws(() => parseCsv('a,b,a,y\n1,2,3,0\n', 'dup.csv'), (e: Error) => e instanceof FormatError && /^dup\.csv: columns 1 and 3 are both named 'a'; column names must be unique/.test(e.message));
  assert.throws(() => parseCsvFeatures('x,x\n1,2\n', 'dup.csv'), FormatError);
  // without a header the columns are numbered, so repeated values in line 1 are fine
  assert.deepEqual(parseCsv('1,1,0\n', 'nohdr.csv', { hasHeader: false }).x.toArray(), [[1, 1]]);
});
