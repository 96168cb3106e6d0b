import test from 'node:test';
import assert from 'node:assert/strict';
import { DTypeError, Generator, ShapeError, ValueError, multinomial, sampleCategorical, tensor, argmax, randn, manualSeed } from '../../src/index.js';

const is = (cls: Function, re: RegExp) => (e: unknown): boolean => e instanceof cls && re.test((e as Error).message);

function counts(t: ReturnType<typeof tensor>, n: number): number[] {
  const c = new Array<number>(n).fill(0);
  for (const v of t.data) c[v]!++;
  return c;
}

test('multinomial with replacement follows the weights (unnormalized) and is reproducible from a seed', () => {
  const w = tensor([1, 0, 3, 6]);
  const draws = multinomial(w, 20000, { replacement: true, generator: new Generator(11) });
  assert.equal(draws.dtype, 'int32');
  assert.deepEqual(draws.shape, [20000]);
  const c = counts(draws, 4);
  assert.equal(c[1], 0, 'a zero weight is never drawn');
  [0.1, 0, 0.3, 0.6].forEach((p, i) => assert.ok(Math.abs(c[i]! / 20000 - p) < 0.015, `category ${i}: ${c[i]! / 20000} vs ${p}`));
  const again = multinomial(w, 20000, { replacement: true, generator: new Generator(11) });
  assert.deepEqual(Array.from(again.data), Array.from(draws.data));
  // the default generator follows manualSeed
  manualSeed(5);
  const a = multinomial(w, 10, { replacement: true });
  manualSeed(5);
  assert.deepEqual(Array.from(w.multinomial(10, { replacement: true }).data), Array.from(a.data));
});

test('multinomial without replacement: distinct per row, 2-D gives [rows, n], the big weight usually first', () => {
  const w = tensor([[1, 1, 1, 1, 1], [0, 5, 0, 1, 100]]);
  const d = multinomial(w, 2, { generator: new Generator(2) });
  assert.deepEqual(d.shape, [2, 2]);
  const rows = d.toArray() as number[][];
  for (const row of rows) assert.notEqual(row[0], row[1]);
  let first = 0;
  const g = new Generator(3);
  for (let k = 0; k < 200; k++) if (multinomial(w, 3, { generator: g }).data[3] === 4) first++;
  assert.ok(first > 180, `the weight-100 category came first ${first} times of 200`);
  // with 3 positive weights, 3 samples without replacement are a permutation of them
  const all = multinomial(tensor([0, 2, 1, 1]), 3, { generator: new Generator(9) });
  assert.deepEqual(Array.from(all.data).sort(), [1, 2, 3]);
});

test('multinomial rejects bad weights and sizes with typed errors', () => {
  assert.throws(() => multinomial(tensor([1, -1]), 1), is(ValueError, /multinomial: weights must be finite and non-negative, got -1 at row 0, category 1/));
  assert.throws(() => multinomial(tensor([1, NaN]), 1), is(ValueError, /got NaN/));
  assert.throws(() => multinomial(tensor([0, 0]), 1), is(ValueError, /the weights of row 0 sum to 0/));
  assert.throws(() => multinomial(tensor([1, 1]), 3), is(ValueError, /cannot draw 3 samples without replacement from 2 categories/));
  assert.throws(() => multinomial(tensor([1, 0, 0]), 2), is(ValueError, /row 0 has 1 categories with positive weight, too few for 2 samples/));
  assert.throws(() => multinomial(tensor([1]), 0), is(ValueError, /numSamples must be a positive integer/));
  assert.throws(() => multinomial(tensor([[[1]]]), 1), is(ShapeError, /expected a 1-D or 2-D tensor of weights/));
});

test('sampleCategorical: softmax(logits / T), greedy at T = 0, top-k support, one sample per row', () => {
  const logits = randn([3, 7], { generator: new Generator(1) });
  assert.deepEqual(sampleCategorical(logits, { temperature: 0 }).toArray(), argmax(logits, 1).toArray());
  assert.deepEqual(sampleCategorical(logits, { topK: 1, generator: new Generator(0) }).toArray(), argmax(logits, 1).toArray());
  const top3 = logits.topk(3).indices.toArray() as number[][];
  const g = new Generator(7);
  for (let k = 0; k < 50; k++) {
    const s = sampleCategorical(logits, { topK: 3, temperature: 2, generator: g }).toArray() as number[];
    s.forEach((v, row) => assert.ok(top3[row]!.includes(v), `row ${row}: ${v} is not among the top 3`));
  }
  // frequencies match softmax(z / T)
  const z = tensor([[0, Math.log(3)]]);
  let ones = 0;
  const g2 = new Generator(4);
  for (let k = 0; k < 4000; k++) ones += sampleCategorical(z, { temperature: 2, generator: g2 }).data[0]!;
  const p = Math.sqrt(3) / (1 + Math.sqrt(3));
  assert.ok(Math.abs(ones / 4000 - p) < 0.025, `${ones / 4000} vs ${p}`);
  assert.deepEqual(sampleCategorical(tensor([1, 2, 3])).shape, []);
  assert.deepEqual(sampleCategorical(tensor([[-Infinity, 0, -Infinity]])).toArray(), [1]);
});

test('sampleCategorical errors are typed', () => {
  assert.throws(() => sampleCategorical(tensor([1, 2]), { temperature: -1 }), is(ValueError, /temperature must be a finite number >= 0/));
  assert.throws(() => sampleCategorical(tensor([1, 2]), { topK: 0 }), is(ValueError, /topK must be a positive integer/));
  assert.throws(() => sampleCategorical(tensor([1, NaN])), is(ValueError, /logit 1 of row 0 is NaN/));
  assert.throws(() => sampleCategorical(tensor([-Infinity, -Infinity])), is(ValueError, /every logit of row 0 is -Infinity/));
  assert.throws(() => sampleCategorical(tensor([1], { dtype: 'int32' })), is(DTypeError, /expected floating logits/));
  assert.throws(() => sampleCategorical(tensor(1)), is(ShapeError, /got a 0-d tensor/));
});
