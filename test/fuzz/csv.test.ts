import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCsv, type CsvData } from '../../src/io/index.js';
import { assertSameValues, mutate, runFuzz, type Dictionary } from './mutate.js';
import { refCsv, type RefCsv } from './reference.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

const SEEDS = [
  'a,b,label\n1,2,x\n3.5,-4e2,y\n.5,+7.,x\n',
  'sepal,petal,species\r\n5.1,1.4,Iris-setosa\r\n\r\n6.3,4.9,Iris-virginica\r\n',
  'f1,f2,f3,y\n0,0,0,0\n1,1,1,2\n-1,2.5e-3,1E3,1\n',
  'x,y\n0.25,0.5\n-1.5,2.75\n',
  'only,label\n',
].map((s) => enc.encode(s));

const DICT: Dictionary = [
  ',', '\n', '\r\n', '\r', ' ', '\t', '-', '+', '.', 'e', 'E', 'e-', '0', '7', '1.5', 'NaN', 'Infinity', '1e39', '-4e38', '3.4e38',
  '4294967297', '2147483648', '-2147483649', '1e999', 'x', 'label', 'a', ',,', '"', '\u00a0', '\ufeff', '1'.repeat(40),
];

export function compareCsv(got: CsvData, want: RefCsv): void {
  assert.deepEqual(got.featureNames, want.featureNames);
  assert.equal(got.labelName, want.labelName);
  assert.deepEqual(got.x.shape, [want.rows, want.featureNames.length]);
  assertSameValues(got.x.data, want.x, 'x');
  assert.equal(got.y.dtype, want.y.dtype);
  assertSameValues(got.y.data, want.y.values, 'y');
  assert.deepEqual(got.classes, want.classes);
}

test('fuzz: CSV', (t) => {
  runFuzz(t, {
    name: 'CSV', count: 5000, seed: 13, strict: true,
    generate: (rng) => mutate(rng.pick(SEEDS), rng, DICT),
    read: (bytes) => parseCsv(dec.decode(bytes), 'fuzz.csv'),
    reference: (bytes) => refCsv(dec.decode(bytes)),
    compare: compareCsv,
  });
});
