import test from 'node:test';
import assert from 'node:assert/strict';
import { nn, tensor, randn, Generator, Tensor } from '../../src/index.js';

const x = randn([2, 3, 4], { dtype: 'float64', generator: new Generator(8) });

test('activation layers equal their functional forms (the issue 9 set)', () => {
  const pairs: [nn.Module<[Tensor], Tensor>, (t: Tensor) => Tensor][] = [
    [new nn.SiLU(), nn.F.silu], [new nn.Mish(), nn.F.mish], [new nn.SELU(), nn.F.selu], [new nn.CELU(1.5), (t) => nn.F.celu(t, 1.5)],
    [new nn.Hardtanh(-2, 0.5), (t) => nn.F.hardtanh(t, { minVal: -2, maxVal: 0.5 })], [new nn.ReLU6(), nn.F.relu6],
    [new nn.Hardswish(), nn.F.hardswish], [new nn.Hardsigmoid(), nn.F.hardsigmoid], [new nn.LogSigmoid(), nn.F.logsigmoid],
    [new nn.Softsign(), nn.F.softsign], [new nn.GLU(1), (t) => nn.F.glu(t.sliceDim(1, 0, 2), 1)],
  ];
  for (const [layer, f] of pairs) {
    const input = layer instanceof nn.GLU ? x.sliceDim(1, 0, 2) : x;
    assert.deepEqual(layer.forward(input).toArray(), f(input).toArray(), layer.label());
  }
  assert.equal(new nn.Hardtanh(-2, 0.5).toString(), 'Hardtanh(minVal=-2, maxVal=0.5)');
  assert.equal(new nn.GLU().toString(), 'GLU(dim=-1)');
});

test('PReLU: a learned slope named weight (PyTorch layout), one or per channel, trained by backward', () => {
  const shared = new nn.PReLU();
  assert.deepEqual(shared.namedParameters().map(([n, p]) => [n, p.shape]), [['weight', [1]]]);
  assert.deepEqual(Array.from(shared.weight.data), [0.25]);
  const perChannel = new nn.PReLU(3, 0.1);
  perChannel.loadStateDict({ weight: tensor([0.1, 0.2, 0.3]) });
  const y = perChannel.forward(tensor([[-2, -2, -2], [1, 1, 1]]));
  assert.deepEqual(y.toArray(), [[-0.2, -0.4, -0.6], [1, 1, 1]].map((r) => r.map((v) => Math.fround(v))));
  y.sum().backward();
  assert.deepEqual(Array.from(perChannel.weight.grad!.data), [-2, -2, -2]);
  assert.equal(perChannel.toString(), 'PReLU(numParameters=3)');
  assert.throws(() => perChannel.forward(tensor([[1, 2]])), /prelu: weight has 3 elements but the input \[1,2\] has 2 channels/);
});
