import test from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, randn, tensor, ValueError } from '../../src/index.js';
import * as nn from '../../src/nn/index.js';
import { assertClose } from './helpers.js';

/** forward with two tensors */
class Masked extends nn.Module<[x: Tensor, mask: Tensor]> {
  proj = new nn.Linear(3, 3);
  forward(x: Tensor, mask: Tensor): Tensor {
    return this.proj.call(x).mul(mask);
  }
}

/** forward with a state in and a tuple out */
class Cell extends nn.Module<[x: Tensor, state?: Tensor], [Tensor, Tensor]> {
  inp = new nn.Linear(2, 4);
  hid = new nn.Linear(4, 4, { bias: false });
  forward(x: Tensor, state?: Tensor): [Tensor, Tensor] {
    const h = this.inp.call(x).add(state ? this.hid.call(state) : 0).tanh();
    return [h.sum(-1), h];
  }
}

test('forward takes typed arguments: (x, mask) and (x, state) with a tuple result', () => {
  const m = new Masked();
  const x = randn([2, 3]);
  const y = m.call(x, tensor([[1, 0, 1], [0, 1, 1]]));
  assert.equal(y.data[1], 0);
  const cell = new Cell();
  const [s0, h0] = cell.call(randn([5, 2]));
  const [s1] = cell.call(randn([5, 2]), h0);
  assert.deepEqual(s0.shape, [5]);
  assert.deepEqual(s1.shape, [5]);
  // any module fits in a ModuleList; only tensor → tensor modules fit in a Sequential
  const list = new nn.ModuleList<nn.AnyModule>([m, cell, new nn.ReLU()]);
  assert.equal(list.length, 3);
  // @ts-expect-error: a two-argument module is not a Sequential layer
  void new nn.Sequential(new Masked());
});

test('forward pre-hooks and forward hooks run in call(), may replace inputs and output, and are removable', () => {
  const lin = new nn.Linear(2, 2);
  const x = randn([1, 2]);
  const plain = lin.forward(x);
  const log: string[] = [];
  const pre = lin.registerForwardPreHook((mod, [inp]) => { log.push(`pre ${mod.label()}`); return [inp.mul(2)]; });
  const post = lin.registerForwardHook((_mod, [inp], out) => { log.push(`post ${inp.shape.join('x')}`); return out.add(1); });
  // linear(2x) + 1 = 2·linear(x) − b + 1
  assertClose(lin.call(x), plain.mul(2).sub(lin.bias!).add(1).data, 1e-6);
  assert.deepEqual(log, ['pre Linear(2→2)', 'post 1x2']);
  assertClose(lin.forward(x), plain.data, 0, 'forward itself runs no hooks');
  pre.remove();
  post.remove();
  assertClose(lin.call(x), plain.data, 0);
});

test('Sequential calls its children through call(), so their hooks run, and a hooked Linear runs unfused', () => {
  const seq = new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU(), new nn.Linear(4, 2));
  const x = randn([5, 3]);
  const before = seq.forward(x);
  const shapes: number[][] = [];
  for (const layer of seq) layer.registerForwardHook((_m, _i, y) => { shapes.push([...y.shape]); });
  assertClose(seq.forward(x), before.data, 1e-6);
  assert.deepEqual(shapes, [[5, 4], [5, 4], [5, 2]]);
});

test('apply visits children before their parent; requiresGrad_ freezes every parameter, custom ones included', () => {
  class Net extends nn.Module {
    body = new nn.Sequential(new nn.Linear(2, 3), new nn.Tanh());
    scale = tensor([2], { requiresGrad: true });
    forward(x: Tensor): Tensor { return this.body.call(x).mul(this.scale); }
  }
  const net = new Net();
  const seen: string[] = [];
  net.apply((m) => { seen.push(m.constructor.name); });
  assert.deepEqual(seen, ['Linear', 'Tanh', 'Sequential', 'Net']);
  const names = net.namedParameters().map(([k]) => k);
  assert.equal(net.requiresGrad_(false), net);
  assert.deepEqual(net.namedParameters().map(([k]) => k), names, 'frozen parameters are still parameters');
  assert.ok(net.parameters().every((p) => !p.requiresGrad));
  assert.equal(net.forward(randn([1, 2])).requiresGrad, false);
  net.requiresGrad_();
  assert.ok(net.parameters().every((p) => p.requiresGrad));
});

test('toString prints the module tree as PyTorch prints a model', () => {
  const seq = new nn.Sequential(new nn.Linear(2, 8), new nn.ReLU(), new nn.Dropout(0.1), new nn.Linear(8, 1, { bias: false }));
  assert.equal(String(seq), [
    'Sequential(',
    '  (0): Linear(inFeatures=2, outFeatures=8, bias=true)',
    '  (1): ReLU()',
    '  (2): Dropout(p=0.1)',
    '  (3): Linear(inFeatures=8, outFeatures=1, bias=false)',
    ')',
  ].join('\n'));
  class Net extends nn.Module {
    conv = new nn.Conv2d(1, 4, 3, { padding: 1 });
    norm = new nn.BatchNorm2d(4);
    head = new nn.Sequential(new nn.Flatten(), new nn.Linear(4, 2));
    blocks = new nn.ModuleList([new nn.Linear(2, 2), new nn.Linear(2, 2), new nn.Linear(2, 3)]);
    forward(x: Tensor): Tensor { return this.head.call(this.norm.call(this.conv.call(x))); }
  }
  assert.equal(String(new Net()), [
    'Net(',
    '  (conv): Conv2d(1, 4, kernelSize=[3, 3], stride=[1, 1], padding=[1, 1])',
    '  (norm): BatchNorm2d(4, eps=0.00001, momentum=0.1, affine=true, trackRunningStats=true)',
    '  (head): Sequential(',
    '    (0): Flatten(startDim=1, endDim=-1)',
    '    (1): Linear(inFeatures=4, outFeatures=2, bias=true)',
    '  )',
    '  (blocks): ModuleList(',
    '    (0-1): 2 x Linear(inFeatures=2, outFeatures=2, bias=true)',
    '    (2): Linear(inFeatures=2, outFeatures=3, bias=true)',
    '  )',
    ')',
  ].join('\n'));
});

test('ModuleList and ModuleDict name their children in the state dict and forbid forward', () => {
  const list = new nn.ModuleList([new nn.Linear(2, 2)]).append(new nn.Linear(2, 1)).insert(0, new nn.Linear(3, 2));
  assert.deepEqual(Object.keys(list.stateDict()), ['0.weight', '0.bias', '1.weight', '1.bias', '2.weight', '2.bias']);
  assert.deepEqual(list.get(-1).weight.shape, [1, 2]);
  assert.throws(() => list.get(5), ValueError);
  assert.throws(() => list.forward(), /ModuleList: it has no forward/);
  const dict = new nn.ModuleDict({ cls: new nn.Linear(4, 3), box: new nn.Linear(4, 4) });
  dict.set('extra', new nn.Linear(4, 1));
  assert.deepEqual(Object.keys(dict.stateDict()), ['cls.weight', 'cls.bias', 'box.weight', 'box.bias', 'extra.weight', 'extra.bias']);
  assert.deepEqual(dict.get('box').call(randn([2, 4])).shape, [2, 4]);
  assert.equal(dict.delete('extra'), true);
  assert.deepEqual(dict.keys(), ['cls', 'box']);
  assert.throws(() => dict.get('nope'), /no module named 'nope'; the keys are cls, box/);
  assert.throws(() => dict.set('a.b', new nn.Linear(1, 1)), ValueError);
  class Owner extends nn.Module {
    heads = dict;
    forward(x: Tensor): Tensor { return this.heads.get('cls').call(x); }
  }
  assert.deepEqual(new Owner().namedParameters().map(([k]) => k), ['heads.cls.weight', 'heads.cls.bias', 'heads.box.weight', 'heads.box.bias']);
});
