import test from 'node:test';
import assert from 'node:assert/strict';
import { Generator, randn, tensor, ones, zeros, setCheckNumerics, DTypeError, ShapeError, ValueError, type Tensor } from '../../src/index.js';
import * as nn from '../../src/nn/index.js';
import { scaledDotProductAttention } from '../../src/nn/attention.js';
import { assertClose } from './helpers.js';

const g = new Generator(5);
const r = (shape: number[]): Tensor => randn(shape, { dtype: 'float64', generator: g });
const int = (v: number[][] | number[]): Tensor => tensor(v, { dtype: 'int32' });

test("MultiheadAttention has PyTorch's parameter names and shapes, packed or separate", () => {
  const packed = new nn.MultiheadAttention(8, 2);
  assert.deepEqual(Object.entries(packed.stateDict()).map(([k, t]) => [k, t.shape]), [
    ['in_proj_weight', [24, 8]], ['in_proj_bias', [24]], ['out_proj.weight', [8, 8]], ['out_proj.bias', [8]],
  ]);
  assert.ok(Array.from(packed.in_proj_bias!.data).every((v) => v === 0) && Array.from(packed.out_proj.bias!.data).every((v) => v === 0), 'biases start at 0');
  const bound = Math.sqrt(6 / (24 + 8)); // xavier_uniform of [3E, E]
  assert.ok(Array.from(packed.in_proj_weight!.data).every((v) => Math.abs(v) <= bound));
  const separate = new nn.MultiheadAttention(4, 2, { kdim: 3, vdim: 5, bias: false });
  assert.deepEqual(Object.keys(separate.stateDict()), ['q_proj_weight', 'k_proj_weight', 'v_proj_weight', 'out_proj.weight']);
  assert.throws(() => new nn.MultiheadAttention(6, 4), (e: unknown) => e instanceof ValueError && /embedDim 6 must be divisible by numHeads 4/.test(e.message));
});

test('MultiheadAttention: weights sum to 1 over the keys, needWeights false gives null, masks and their errors', () => {
  const mha = new nn.MultiheadAttention(4, 2, { batchFirst: true }).to('float64');
  const q = r([2, 3, 4]), kv = r([2, 5, 4]);
  const [y, w] = mha.call(q, kv, kv);
  assert.deepEqual(y.shape, [2, 3, 4]);
  assertClose(w!.sum(-1), new Array(6).fill(1), 1e-12);
  const [, perHead] = mha.call(q, kv, kv, { averageAttnWeights: false });
  assert.deepEqual(perHead!.shape, [2, 2, 3, 5]);
  assert.equal(mha.call(q, kv, kv, { needWeights: false })[1], null);
  // a padded key gets no weight from any query
  const [, masked] = mha.call(q, kv, kv, { keyPaddingMask: int([[0, 0, 0, 0, 1], [1, 0, 0, 0, 0]]) });
  const md = masked!.data;
  for (let i = 0; i < 3; i++) { assert.equal(md[i * 5 + 4], 0); assert.equal(md[15 + i * 5], 0); }
  assert.throws(() => mha.call(q, kv, kv, { keyPaddingMask: int([[0, 1]]) }), (e: unknown) => e instanceof ShapeError && /keyPaddingMask must have shape \[2,5\]/.test(e.message));
  assert.throws(() => mha.call(q, kv, kv, { attnMask: zeros([3, 4]) }), (e: unknown) => e instanceof ShapeError && /2-D attnMask has shape \[3,4\], but should be \[3,5\]/.test(e.message));
  assert.throws(() => mha.call(q, r([2, 5, 3]), kv), ShapeError);
  assert.throws(() => mha.call(r([3, 4]).reshape([12]), kv, kv), ShapeError);
});

test('MultiheadAttention applies dropout to the weights in train mode only', () => {
  const mha = new nn.MultiheadAttention(4, 1, { dropout: 0.5, generator: new Generator(1) }).to('float64');
  const x = r([3, 2, 4]);
  mha.eval();
  const [, w1] = mha.call(x, x, x);
  const [, w2] = mha.call(x, x, x);
  assertClose(w1!, w2!.data, 0);
  mha.train();
  const [, wt] = mha.call(x, x, x);
  assert.ok(Array.from(wt!.data).some((v) => v === 0), 'some weights dropped');
  assert.ok(Array.from(wt!.data).some((v) => v > 1 / 3 + 1e-9 || v < 1 / 3 - 1e-9));
});

test('scaledDotProductAttention: a fully masked row is uniform and finite (PyTorch gives NaN), even under setCheckNumerics', () => {
  const q = r([2, 3]), k = r([4, 3]), v = r([4, 2]);
  setCheckNumerics(true);
  try {
    const y = scaledDotProductAttention(q, k, v, { attnMask: int([[0, 0, 0, 0], [1, 1, 0, 0]]) });
    assertClose(y.sliceDim(0, 0, 1), v.mean(0).data, 1e-12, 'no key allowed: the plain mean of the values');
    const causal = scaledDotProductAttention(q, k, v, { isCausal: true });
    assert.ok(Array.from(causal.data).every(Number.isFinite));
  } finally {
    setCheckNumerics(false);
  }
  // the causal mask is aligned top-left: query 0 sees key 0 only
  assertClose(scaledDotProductAttention(q, k, v, { isCausal: true }).sliceDim(0, 0, 1), v.sliceDim(0, 0, 1).data, 1e-12);
});

test('scaledDotProductAttention checks its arguments', () => {
  const q = r([2, 3]), k = r([4, 3]), v = r([4, 2]);
  assert.throws(() => scaledDotProductAttention(q, k, v, { isCausal: true, attnMask: ones([2, 4]) }), (e: unknown) => e instanceof ValueError && /either attnMask or isCausal/.test(e.message));
  assert.throws(() => scaledDotProductAttention(q, r([4, 2]), v), (e: unknown) => e instanceof ShapeError && /must share the last dim/.test(e.message));
  assert.throws(() => scaledDotProductAttention(q, k, r([3, 2])), (e: unknown) => e instanceof ShapeError && /same sequence length/.test(e.message));
  assert.throws(() => scaledDotProductAttention(q, k, v, { attnMask: ones([3, 4]) }), ShapeError);
  assert.throws(() => scaledDotProductAttention(q, k, v, { dropoutP: 1.5 }), ValueError);
  assert.throws(() => scaledDotProductAttention(q.int(), k, v), DTypeError);
});
