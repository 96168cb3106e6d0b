import test from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, randn, tensor, manualSeed, ShapeError, ValueError } from '../../src/index.js';
import * as nn from '../../src/nn/index.js';
import { assertClose } from './helpers.js';

class Net extends nn.Module {
  encoder = new nn.Linear(4, 3);
  layers = new nn.Sequential(new nn.Linear(3, 5), new nn.ReLU(), new nn.BatchNorm1d(5), new nn.Linear(5, 2));
  heads = [new nn.Linear(2, 1), new nn.Linear(2, 1, { bias: false })];
  scale = tensor([1.5], { requiresGrad: true });
  constant = tensor([2]); // no requiresGrad: not a parameter
  forward(x: Tensor): Tensor {
    const h = this.layers.forward(this.encoder.forward(x));
    return this.heads[0]!.forward(h).add(this.heads[1]!.forward(h)).mul(this.scale);
  }
}

test('namedParameters gives PyTorch-style dotted names in assignment order', () => {
  const seq = new nn.Sequential(new nn.Linear(2, 3), new nn.Tanh(), new nn.Linear(3, 1));
  assert.deepEqual(seq.namedParameters().map(([k]) => k), ['0.weight', '0.bias', '2.weight', '2.bias']);
  const net = new Net();
  assert.deepEqual(net.namedParameters().map(([k]) => k), [
    'scale', 'encoder.weight', 'encoder.bias',
    'layers.0.weight', 'layers.0.bias', 'layers.2.weight', 'layers.2.bias', 'layers.3.weight', 'layers.3.bias',
    'heads.0.weight', 'heads.0.bias', 'heads.1.weight',
  ]);
  assert.deepEqual(net.namedBuffers().map(([k]) => k), ['layers.2.running_mean', 'layers.2.running_var', 'layers.2.num_batches_tracked']);
  assert.equal(net.numParameters(), 1 + 4 * 3 + 3 + 3 * 5 + 5 + 5 + 5 + 5 * 2 + 2 + 2 + 1 + 2);
  assert.equal(net.parameters().length, 12);
});

test('shared parameters are listed once; frozen built-in weights stay parameters', () => {
  const lin = new nn.Linear(2, 2);
  const seq = new nn.Sequential(lin, new nn.ReLU(), lin);
  assert.deepEqual(seq.namedParameters().map(([k]) => k), ['0.weight', '0.bias']);
  lin.weight.requiresGrad = false;
  assert.deepEqual(lin.namedParameters().map(([k]) => k), ['weight', 'bias']);
  assert.ok('weight' in lin.stateDict());
});

test('stateDict: params then buffers per module, round trip into a fresh model', () => {
  manualSeed(1);
  const a = new Net();
  a.train();
  a.forward(randn([6, 4])); // moves the running statistics
  const sd = a.stateDict();
  assert.deepEqual(Object.keys(sd).slice(5, 11), [
    'layers.2.weight', 'layers.2.bias', 'layers.2.running_mean', 'layers.2.running_var', 'layers.2.num_batches_tracked', 'layers.3.weight',
  ]);
  assert.equal(sd['layers.2.num_batches_tracked']!.item(), 1);
  manualSeed(2);
  const b = new Net();
  const x = randn([3, 4]);
  a.eval(); b.eval();
  assert.notDeepEqual(Array.from(a.forward(x).data), Array.from(b.forward(x).data));
  const bWeight = b.encoder.weight;
  const res = b.loadStateDict(sd);
  assert.deepEqual(res, { missingKeys: [], unexpectedKeys: [] });
  assert.equal(b.encoder.weight, bWeight, 'loading copies in place');
  assertClose(b.forward(x), a.forward(x).data, 0);
  assert.equal(b.stateDict()['layers.2.num_batches_tracked']!.item(), 1);
});

test('loadStateDict strict mode names missing, unexpected and mis-shaped keys', () => {
  const m = new nn.Sequential(new nn.Linear(2, 3), new nn.Linear(3, 1));
  const sd = m.stateDict();
  const before = Array.from(m.layers[0]!.parameters()[0]!.data);
  const bad: Record<string, Tensor> = { ...sd, 'extra.weight': tensor([1]), '0.weight': tensor([[1, 2, 3], [4, 5, 6]]) };
  delete bad['1.bias'];
  let err: unknown;
  try { m.loadStateDict(bad); } catch (e) { err = e; }
  assert.ok(err instanceof nn.StateDictError && err instanceof ValueError);
  assert.deepEqual(err.missingKeys, ['1.bias']);
  assert.deepEqual(err.unexpectedKeys, ['extra.weight']);
  assert.deepEqual(err.shapeMismatches, [{ key: '0.weight', expected: [3, 2], got: [2, 3] }]);
  assert.match(err.message, /missing keys: 1\.bias; unexpected keys: extra\.weight; size mismatch for 0\.weight: the model has \[3,2\], the state dict has \[2,3\]/);
  assert.deepEqual(Array.from(m.layers[0]!.parameters()[0]!.data), before, 'nothing copied on error');
  // non-strict tolerates missing/unexpected keys but not shape mismatches
  const partial: Record<string, Tensor> = { '1.bias': tensor([7]), junk: tensor([0]) };
  assert.deepEqual(m.loadStateDict(partial, { strict: false }), { missingKeys: ['0.weight', '0.bias', '1.weight'], unexpectedKeys: ['junk'] });
  assert.equal((m.layers[1] as nn.Linear).bias!.item(), 7);
  assert.throws(() => m.loadStateDict({ '1.bias': tensor([1, 2]) }, { strict: false }), /size mismatch for 1\.bias/);
});

test('train/eval propagate to children; zeroGrad clears grads', () => {
  const net = new Net();
  net.eval();
  assert.ok(net.modules().every((m) => !m.training));
  net.train();
  assert.ok(net.modules().every((m) => m.training));
  net.forward(randn([4, 4])).sum().backward();
  assert.ok(net.parameters().every((p) => p.grad !== null));
  net.zeroGrad();
  assert.ok(net.parameters().every((p) => p.grad === null));
});

test('to(float64) converts parameters and buffers, keeping names and requiresGrad', () => {
  const net = new Net().to('float64');
  assert.ok(net.parameters().every((p) => p.dtype === 'float64' && p.requiresGrad && p.isLeaf));
  assert.equal(net.stateDict()['layers.2.running_var']!.dtype, 'float64');
  assert.equal(net.stateDict()['layers.2.num_batches_tracked']!.dtype, 'int32');
  assert.equal(net.forward(randn([2, 4], { dtype: 'float64' })).dtype, 'float64');
});

test('a wrong input shape names the layer, what it expected and where in the Sequential', () => {
  const model = new nn.Sequential(new nn.Flatten(), new nn.Linear(784, 256), new nn.ReLU());
  assert.throws(() => model.forward(randn([32, 10, 10])), (e: unknown) => e instanceof ShapeError &&
    e.message === 'Linear(784→256): expected input [..., 784], got [32,100] (at layer 1 of Sequential)');
});
