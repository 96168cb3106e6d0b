import test from 'node:test';
import assert from 'node:assert/strict';
import { Generator, randn, tensor, ValueError, type Tensor } from '../../src/index.js';
import * as nn from '../../src/nn/index.js';
import { assertClose } from './helpers.js';

const g = new Generator(9);
const r = (shape: number[]): Tensor => randn(shape, { dtype: 'float64', generator: g });

test("Transformer layers carry PyTorch's state-dict keys", () => {
  const dec = new nn.TransformerDecoderLayer(4, 2, { dimFeedforward: 6 });
  assert.deepEqual(Object.keys(dec.stateDict()), [
    'self_attn.in_proj_weight', 'self_attn.in_proj_bias', 'self_attn.out_proj.weight', 'self_attn.out_proj.bias',
    'multihead_attn.in_proj_weight', 'multihead_attn.in_proj_bias', 'multihead_attn.out_proj.weight', 'multihead_attn.out_proj.bias',
    'linear1.weight', 'linear1.bias', 'linear2.weight', 'linear2.bias', 'norm1.weight', 'norm1.bias', 'norm2.weight', 'norm2.bias', 'norm3.weight', 'norm3.bias',
  ]);
  const enc = new nn.TransformerEncoder(new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 6 }), 3, { norm: new nn.LayerNorm(4) });
  const keys = Object.keys(enc.stateDict());
  assert.equal(keys.length, 3 * 12 + 2);
  assert.equal(keys[12], 'layers.1.self_attn.in_proj_weight');
  assert.deepEqual(keys.slice(-2), ['norm.weight', 'norm.bias']);
});

test('a stack starts from copies of its layer, which then train independently', () => {
  const layer = new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 6, dropout: 0 }).to('float64');
  const stack = new nn.TransformerEncoder(layer, 2);
  const [a, b] = [stack.layers.get(0), stack.layers.get(1)];
  assert.notEqual(a, layer);
  assertClose(a.linear1.weight, layer.linear1.weight.data, 0);
  assert.equal(b.linear1.weight.dtype, 'float64', 'copies keep the dtype');
  a.linear1.weight.data[0] = 42;
  assert.notEqual(b.linear1.weight.data[0], 42);
  assert.notEqual(layer.linear1.weight.data[0], 42);
  // identical layers print once, each child indented under its parent
  assert.match(String(stack), /^TransformerEncoder\(\n {2}\(layers\): ModuleList\(\n {4}\(0-1\): 2 x TransformerEncoderLayer\(\n {6}normFirst=false, batchFirst=false\n {6}\(self_attn\): MultiheadAttention\(\n {8}embedDim=4/);
});

test('dropout acts in train mode only; eval is deterministic; float32 runs too', () => {
  const layer = new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 8, dropout: 0.3, batchFirst: true, generator: new Generator(4) }).to('float64');
  const x = r([2, 3, 4]);
  layer.eval();
  const a = layer.call(x), b = layer.call(x);
  assertClose(a, b.data, 0);
  layer.train();
  const c = layer.call(x);
  assert.ok(Array.from(c.data).some((v, i) => Math.abs(v - a.data[i]!) > 1e-6));
  const f32 = new nn.TransformerDecoderLayer(4, 2, { dimFeedforward: 8, activation: (t) => t.tanh() });
  const y = f32.call(randn([3, 2, 4]), randn([5, 2, 4]), { tgtMask: tensor([[0, 1, 1], [0, 0, 1], [0, 0, 0]], { dtype: 'int32' }) });
  assert.equal(y.dtype, 'float32');
  assert.deepEqual(y.shape, [3, 2, 4]);
  assert.throws(() => new nn.TransformerEncoderLayer(4, 2, { activation: 'swish' as 'relu' }), ValueError);
  assert.throws(() => new nn.TransformerEncoder(layer, 0), ValueError);
});
