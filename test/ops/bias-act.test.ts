import test from 'node:test';
import assert from 'node:assert/strict';
import { Generator, nn, randn, tensor, getBackend, matmul, add, sigmoid, relu, tanh, gelu } from '../../src/index.js';
import { biasAct } from '../../src/ops/bias-act.js';
import { ShapeError } from '../../src/errors.js';

test('Sequential fuses Linear + activation with values identical to the unfused layers', () => {
  const g = new Generator(3);
  const acts = [[new nn.Sigmoid(), sigmoid], [new nn.ReLU(), relu], [new nn.Tanh(), tanh], [new nn.GELU(), gelu]] as const;
  for (const [layer, fn] of acts) {
    const lin = new nn.Linear(300, 70, { generator: g });
    const x = randn([50, 300], { generator: g });
    const fused = new nn.Sequential(lin, layer).forward(x);
    const unfused = fn(add(matmul(x, lin.weight, { transB: true }), lin.bias!));
    assert.deepEqual(fused.data, unfused.data, `${layer.constructor.name} on ${getBackend().name}`);
    // and the gradients agree too
    fused.sum().backward();
    const gw = lin.weight.grad!.data.slice(), gb = lin.bias!.grad!.data.slice();
    lin.zeroGrad();
    unfused.sum().backward();
    for (let i = 0; i < gw.length; i++) assert.ok(Math.abs(gw[i]! - lin.weight.grad!.data[i]!) <= 1e-5 * (1 + Math.abs(gw[i]!)));
    for (let i = 0; i < gb.length; i++) assert.ok(Math.abs(gb[i]! - lin.bias!.grad!.data[i]!) <= 1e-5 * (1 + Math.abs(gb[i]!)));
  }
});

test('biasAct broadcasts the bias over leading dims and checks its shape', () => {
  const z = tensor([[[1, -2], [3, 4]], [[0, 1], [-1, 2]]]);
  const b = tensor([0.5, -1]);
  assert.deepEqual(biasAct(z, b, 'relu').toArray(), [[[1.5, 0], [3.5, 3]], [[0.5, 0], [0, 1]]]);
  assert.throws(() => biasAct(z, tensor([1, 2, 3]), 'relu'), ShapeError);
});
