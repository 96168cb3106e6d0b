import test from 'node:test';
import assert from 'node:assert/strict';
import {
  DeviceError, Generator, Tensor, initDevice, nn, optim, randn, randint, setBackend, tensor, zeros, type Device,
} from '../../src/index.js';
import { useEmulatedDevice } from '../helpers/emulated-device.js';

/**
 * The device plumbing, on an emulated 'webgpu' device (the reference kernels on boxed arrays,
 * with no synchronous reads): creation, transfers, the async reads, the errors, and whole
 * training loops, which must give bitwise the js backend's results and never read a device
 * tensor on the host.
 */
const emulated = useEmulatedDevice();
setBackend('js');
await initDevice('webgpu');

test('tensors on a device: creation, transfers, async reads, and sync reads that throw', async () => {
  const x = tensor([[1, 2], [3, 4]], { device: 'webgpu' });
  assert.equal(x.device, 'webgpu');
  assert.throws(() => x.data, (e: unknown) => e instanceof DeviceError && /use await t\.dataAsync\(\)/.test(e.message));
  assert.throws(() => x.sum().item(), DeviceError);
  assert.throws(() => x.toArray(), (e: unknown) => e instanceof DeviceError && /toArrayAsync/.test(e.message));
  assert.deepEqual(await x.toArrayAsync(), [[1, 2], [3, 4]]);
  assert.equal(await x.sum().itemAsync(), 10);
  assert.deepEqual(Array.from(await x.dataAsync()), [1, 2, 3, 4]);
  assert.equal(zeros([3], { device: 'webgpu' }).device, 'webgpu');
  // host → device is synchronous; device → host needs the async form
  const y = tensor([5, 6]).to('webgpu');
  assert.equal(y.device, 'webgpu');
  assert.throws(() => y.to('cpu'), (e: unknown) => e instanceof DeviceError && /await t\.toAsync\('cpu'\)/.test(e.message));
  const back = await y.toAsync('cpu');
  assert.equal(back.device, 'cpu');
  assert.deepEqual(back.toArray(), [5, 6]);
  assert.match(String(y), /2 values on webgpu/);
});

test('an op with inputs on two devices is a DeviceError naming the op and both devices; JS numbers ride along', () => {
  const a = tensor([1, 2], { device: 'webgpu' });
  const b = tensor([3, 4]);
  assert.throws(() => a.add(b), (e: unknown) => e instanceof DeviceError && /add: expected all tensors on the same device, got 'webgpu' .* and 'cpu'/.test(e.message));
  assert.throws(() => b.matmul(a.reshape([2, 1])), (e: unknown) => e instanceof DeviceError && /matmul/.test(e.message));
  assert.equal(a.mul(2).add(1).device, 'webgpu');
});

/** Trains a small MLP for a few steps on a device; returns the losses and final weights, read back. */
async function train(device: Device, opt: 'sgd' | 'adam'): Promise<{ losses: number[]; weights: number[][] }> {
  const g = new Generator(11);
  const model = new nn.Sequential(new nn.Linear(4, 16, { generator: g }), new nn.Tanh(), new nn.Linear(16, 3, { generator: g }), new nn.LayerNorm([3]));
  model.to(device);
  const optimizer = opt === 'sgd'
    ? new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-3 })
    : new optim.AdamW(model.parameters(), { lr: 0.01, amsgrad: true });
  const losses: Tensor[] = [];
  // one batch, fitted step after step, so the loss must fall
  const x = randn([8, 4], { generator: g }).to(device);
  const y = randint(0, 3, [8], { generator: g }).to(device);
  for (let step = 0; step < 6; step++) {
    const loss = nn.functional.crossEntropy(model.forward(x), y, { labelSmoothing: 0.1 });
    optimizer.zeroGrad();
    loss.backward();
    optim.clipGradNorm(model.parameters(), 1.0);
    optimizer.step();
    losses.push(loss);
  }
  const weights = await Promise.all(model.parameters().map(async (p) => Array.from(await p.dataAsync())));
  return { losses: await Promise.all(losses.map((l) => l.itemAsync())), weights };
}

test('training on the device gives bitwise the CPU results (SGD and AdamW), without host reads', async () => {
  for (const opt of ['sgd', 'adam'] as const) {
    const before = emulated.launches;
    const onDevice = await train('webgpu', opt);
    assert.ok(emulated.launches - before > 100, 'the kernels ran on the device');
    const onCpu = await train('cpu', opt);
    assert.deepEqual(onDevice.losses, onCpu.losses, `${opt} losses`);
    assert.deepEqual(onDevice.weights, onCpu.weights, `${opt} weights`);
    assert.ok(onDevice.losses[5]! < onDevice.losses[0]!, `${opt} loss falls`);
  }
});

test('module.to moves parameters in place; loadStateDict lands on the module device; optimizer state lives there too', async () => {
  const model = new nn.Linear(3, 2);
  const w = model.weight;
  model.to('webgpu');
  assert.equal(model.weight, w, 'the same tensor object');
  assert.equal(w.device, 'webgpu');
  assert.equal(model.device, 'webgpu');
  const src = new nn.Linear(3, 2);
  model.loadStateDict(src.stateDict());
  assert.deepEqual(Array.from(await model.weight.dataAsync()), Array.from(src.weight.data));
  const opt = new optim.Adam(model.parameters(), { lr: 0.1 });
  model.forward(randn([4, 3]).to('webgpu')).sum().backward();
  opt.step();
  const state = opt.stateDict().state['0']!;
  assert.equal((state['expAvg'] as Tensor).device, 'webgpu');
  await model.toAsync('cpu');
  assert.equal(model.weight.device, 'cpu');
  assert.equal(model.weight.data.length, 6);
});

test('fit and evaluateAsync on the device: the same history as on the CPU; sync evaluate names evaluateAsync', async () => {
  const { fit, evaluate, evaluateAsync, data } = await import('../../src/index.js');
  const run = async (device: Device): Promise<number[]> => {
    const g = new Generator(5);
    const x = randn([40, 3], { generator: g }), y = randint(0, 2, [40], { generator: g });
    const loader = new data.DataLoader(new data.TensorDataset(x.to(device), y.to(device)), { batchSize: 8, shuffle: true, generator: new Generator(1) });
    const model = new nn.Sequential(new nn.Linear(3, 8, { generator: g }), new nn.ReLU(), new nn.Linear(8, 2, { generator: g })).to(device);
    const history = await fit(model, loader, { optimizer: new optim.Adam(model.parameters(), { lr: 0.05 }), loss: nn.functional.crossEntropy, epochs: 3, validation: loader });
    const final = await evaluateAsync(model, loader, { loss: nn.functional.crossEntropy });
    if (device !== 'cpu') assert.throws(() => evaluate(model, loader, { loss: nn.functional.crossEntropy }), (e: unknown) => e instanceof DeviceError && /evaluateAsync/.test(e.message));
    return [...history.flatMap((h) => [h.trainLoss, h.trainAccuracy!, h.testLoss!, h.testAccuracy!]), final.loss, final.accuracy!];
  };
  // the device sums the batch losses in float32 on the device, the CPU in JS doubles
  const [dev, cpu] = [await run('webgpu'), await run('cpu')];
  dev.forEach((v, i) => assert.ok(Math.abs(v - cpu[i]!) <= 1e-6, `value ${i}: device ${v} vs cpu ${cpu[i]}`));
});
