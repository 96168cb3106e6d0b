import test from 'node:test';
import assert from 'node:assert/strict';
import * as bp from '../../src/index.js';
import { DeviceError, Generator, Tensor, initDevice, setBackend, tensor } from '../../src/index.js';
import { useEmulatedDevice } from '../helpers/emulated-device.js';
import { cases, composites, type Case } from './gradcheck-cases.js';

/**
 * Every op is device-agnostic: each gradcheck case (test/ops/gradcheck-cases.ts, every primitive
 * and every composite) runs forward and backward on an emulated 'webgpu' device whose storages the
 * host cannot read synchronously, so an op that looked at `.data` would throw a DeviceError. Its
 * outputs and gradients must be bitwise those of the CPU run; index constants (triangle masks,
 * positions, repeat indices) must be made on the input's device.
 */
setBackend('js');
useEmulatedDevice();
await initDevice('webgpu');

/** Elementwise identical, NaN included. */
function sameBits(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  assert.equal(a.length, b.length, `${what}: lengths`);
  for (let i = 0; i < a.length; i++) assert.ok(Object.is(a[i], b[i]) || (a[i] === 0 && b[i] === 0), `${what}[${i}]: ${a[i]} on the device, ${b[i]} on the CPU`);
}

async function runCase(c: Case, inputs: readonly Tensor[], device: 'cpu' | 'webgpu'): Promise<{ out: number[]; grads: number[][] }> {
  const xs = inputs.map((t) => {
    const y = bp.tensor(t.data.slice(), { shape: t.shape, dtype: t.dtype, device });
    if (t.dtype !== 'int32') y.requiresGrad = true;
    return y;
  });
  const out = c.fn(...xs);
  assert.equal(out.device, device);
  if (out.requiresGrad) {
    const seed = bp.randn(out.shape, { dtype: out.dtype, generator: new Generator(17), device });
    out.backward(seed);
  }
  return {
    out: Array.from(await out.dataAsync()),
    grads: await Promise.all(xs.filter((x) => x.requiresGrad).map(async (x) => (x.grad ? Array.from(await x.grad.dataAsync()) : []))),
  };
}

async function sameOnDeviceAsCpu(name: string, c: Case): Promise<void> {
  const inputs = c.inputs().map((t) => t.detach());
  const cpu = await runCase(c, inputs, 'cpu');
  const dev = await runCase(c, inputs, 'webgpu');
  sameBits(dev.out, cpu.out, `${name}: output`);
  dev.grads.forEach((gr, k) => sameBits(gr, cpu.grads[k]!, `${name}: gradient of input ${k}`));
}

for (const name of Object.keys(cases) as (keyof typeof cases)[]) {
  test(`device-agnostic: ${name} (every gradcheck case) on a device the host cannot read`, async () => {
    for (const c of cases[name]) await sameOnDeviceAsCpu(name, c);
  });
}
for (const [name, c] of Object.entries(composites)) {
  test(`device-agnostic (composite): ${name}`, async () => {
    await sameOnDeviceAsCpu(name, c);
  });
}

// Outputs that gradcheck cases do not cover: integer results, non-differentiable maps, special values.
const gen = new Generator(3);
const f64 = (shape: number[]): Tensor => bp.randn(shape, { dtype: 'float64', generator: gen });
const i32 = (v: number[] | number[][]): Tensor => tensor(v, { dtype: 'int32' });
const extras: [string, (...xs: Tensor[]) => Tensor[], () => Tensor[]][] = [
  ['isnan, isfinite, nanToNum, sign of specials', (x) => { const y = x!.log(); return [bp.isnan(y), bp.isfinite(y), bp.nanToNum(y), bp.sign(y)]; }, () => [tensor([0, -1, 2, Infinity])]],
  ['any, all, argsort, sort and topk indices', (x) => [bp.any(x!.gt(1), 1), bp.all(x!.gt(-5)), bp.argsort(x!, 0, true), bp.sort(x!).indices, bp.topk(x!, 2, 0).indices], () => [f64([4, 5])]],
  ['int32 inputs', (n) => [bp.cumsum(n!, 1), bp.prod(n!, 0), bp.tril(n!), bp.flip(n!, 1), bp.remainder(n!, -3), bp.repeat(n!, [2, 1]), bp.amax(n!)], () => [i32([[1, -2, 3], [4, 5, -6]])]],
  ['scatter with a value, repeatInterleave with counts, roll, chunk', (x, idx) => [bp.scatter(x!, 1, idx!, 5), bp.repeatInterleave(x!, [2, 0, 1], 1), bp.roll(x!, 1), ...bp.chunk(x!, 2, 1)], () => [f64([2, 3]), i32([[2, 0], [1, 2]])]],
];

for (const [name, fn, inputs] of extras) {
  test(`device-agnostic: ${name}`, async () => {
    const xs = inputs();
    const cpu = fn(...xs);
    const dev = fn(...xs.map((t) => t.to('webgpu')));
    for (let k = 0; k < cpu.length; k++) {
      assert.equal(dev[k]!.device, 'webgpu');
      sameBits(await dev[k]!.dataAsync(), cpu[k]!.data, `${name}: output ${k}`);
    }
  });
}

test('device-agnostic: sampling needs the async variants off the CPU', async () => {
  const logits = tensor([[0, 3, 1], [2, 0, 0]], { device: 'webgpu' });
  assert.throws(() => bp.sampleCategorical(logits), (e: unknown) => e instanceof DeviceError && /sampleCategoricalAsync/.test((e as Error).message));
  assert.throws(() => bp.multinomial(logits.exp(), 1), (e: unknown) => e instanceof DeviceError && /multinomialAsync/.test((e as Error).message));
  const onDevice = await bp.sampleCategoricalAsync(logits, { topK: 2, generator: new Generator(5) });
  const onHost = bp.sampleCategorical(tensor([[0, 3, 1], [2, 0, 0]]), { topK: 2, generator: new Generator(5) });
  assert.equal(onDevice.device, 'webgpu');
  assert.deepEqual(Array.from(await onDevice.dataAsync()), Array.from(onHost.data));
  const drawn = await bp.multinomialAsync(logits.exp(), 2, { generator: new Generator(1) });
  assert.equal(drawn.device, 'webgpu');
  assert.deepEqual(Array.from(await drawn.dataAsync()), Array.from(bp.multinomial(tensor([[0, 3, 1], [2, 0, 0]]).exp(), 2, { generator: new Generator(1) }).data));
});
