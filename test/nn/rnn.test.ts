import test from 'node:test';
import assert from 'node:assert/strict';
import { Generator, randn, ShapeError, ValueError, type Tensor } from '../../src/index.js';
import * as nn from '../../src/nn/index.js';
import { assertClose } from './helpers.js';

const g = new Generator(8);
const r = (shape: number[]): Tensor => randn(shape, { dtype: 'float64', generator: g });

test("LSTM's parameters carry PyTorch's names in PyTorch's order, initialized in ±1/√hidden", () => {
  const lstm = new nn.LSTM(3, 4, { numLayers: 2, bidirectional: true });
  assert.deepEqual(lstm.namedParameters().map(([k, t]) => [k, t.shape]), [
    ['weight_ih_l0', [16, 3]], ['weight_hh_l0', [16, 4]], ['bias_ih_l0', [16]], ['bias_hh_l0', [16]],
    ['weight_ih_l0_reverse', [16, 3]], ['weight_hh_l0_reverse', [16, 4]], ['bias_ih_l0_reverse', [16]], ['bias_hh_l0_reverse', [16]],
    ['weight_ih_l1', [16, 8]], ['weight_hh_l1', [16, 4]], ['bias_ih_l1', [16]], ['bias_hh_l1', [16]],
    ['weight_ih_l1_reverse', [16, 8]], ['weight_hh_l1_reverse', [16, 4]], ['bias_ih_l1_reverse', [16]], ['bias_hh_l1_reverse', [16]],
  ]);
  assert.ok(lstm.parameters().every((p) => Array.from(p.data).every((v) => Math.abs(v) <= 0.5)));
  assert.deepEqual(new nn.GRU(2, 5, { bias: false }).namedParameters().map(([k, t]) => [k, t.shape]), [['weight_ih_l0', [15, 2]], ['weight_hh_l0', [15, 5]]]);
  assert.equal(String(lstm), 'LSTM(3, 4, numLayers=2, bidirectional=true)');
  assert.equal(String(new nn.RNN(3, 4, { nonlinearity: 'relu', batchFirst: true })), "RNN(3, 4, nonlinearity='relu', batchFirst=true)");
});

test('the last output step of a one-directional RNN is its final hidden state; a reverse direction ends at step 0', () => {
  const gru = new nn.GRU(3, 4, { bidirectional: true, batchFirst: true }).to('float64');
  const [out, hN] = gru.call(r([2, 5, 3]));
  assert.deepEqual(out.shape, [2, 5, 8]);
  assert.deepEqual(hN.shape, [2, 2, 4]);
  assertClose(out.sliceDim(1, 4, 5).sliceDim(2, 0, 4).reshape([2, 4]), hN.sliceDim(0, 0, 1).reshape([2, 4]).data, 0);
  assertClose(out.sliceDim(1, 0, 1).sliceDim(2, 4, 8).reshape([2, 4]), hN.sliceDim(0, 1, 2).reshape([2, 4]).data, 0);
  // a sequence continues from the state a previous call ended in
  const rnn = new nn.RNN(3, 4).to('float64');
  const x = r([6, 1, 3]);
  const [whole] = rnn.call(x);
  const [, h] = rnn.call(x.sliceDim(0, 0, 4));
  const [rest] = rnn.call(x.sliceDim(0, 4, 6), h);
  assertClose(rest, whole.sliceDim(0, 4, 6).data, 1e-15);
});

test('dropout between stacked layers acts in train mode only', () => {
  const lstm = new nn.LSTM(3, 4, { numLayers: 2, dropout: 0.5, generator: new Generator(2) }).to('float64');
  const x = r([4, 2, 3]);
  lstm.eval();
  const [a] = lstm.call(x);
  const [b] = lstm.call(x);
  assertClose(a, b.data, 0);
  lstm.train();
  const [c] = lstm.call(x);
  assert.ok(Array.from(c.data).some((v, i) => Math.abs(v - a.data[i]!) > 1e-6));
});

test('recurrent layers check their arguments', () => {
  const lstm = new nn.LSTM(3, 4, { numLayers: 2 });
  assert.throws(() => lstm.call(randn([5, 2, 4])), (e: unknown) => e instanceof ShapeError && /LSTM\(3, 4\): expected input \[L, N, 3\]/.test(e.message));
  assert.throws(() => lstm.call(randn([5, 2, 3]), [randn([1, 2, 4]), randn([2, 2, 4])]), (e: unknown) => e instanceof ShapeError && /h0 must have shape \[2,2,4\], got \[1,2,4\]/.test(e.message));
  assert.throws(() => new nn.RNN(3, 4, { nonlinearity: 'sigmoid' as 'tanh' }), ValueError);
  assert.throws(() => new nn.GRU(3, 0), ValueError);
  assert.throws(() => new nn.GRU(3, 2, { dropout: 2 }), ValueError);
});
