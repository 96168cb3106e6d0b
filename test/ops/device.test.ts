import test from 'node:test';
import assert from 'node:assert/strict';
import * as bp from '../../src/index.js';
import {
  DeviceError, Generator, Tensor, initDevice, registerDevice, tensor, type Backend, type DeviceBuffer, type DType, type TypedArray,
} from '../../src/index.js';
import { JsBackend } from '../../src/backend/js/index.js';

/**
 * The issue 9 ops are device-agnostic: they run on a stand-in 'webgpu' device whose storages the
 * host cannot read synchronously (the reference kernels behind opaque buffers, no readSync), so an
 * op that looked at `.data` would throw a DeviceError here. Results and gradients must equal the
 * CPU's, and index constants (triangle masks, positions) must be made on the input's device.
 */
class OpaqueBuffer implements DeviceBuffer {
  readonly device = 'webgpu' as const;
  readonly dtype: DType;
  readonly length: number;
  constructor(readonly elements: TypedArray) {
    this.dtype = elements instanceof Float64Array ? 'float64' : elements instanceof Float32Array ? 'float32' : 'int32';
    this.length = elements.length;
  }
}

function opaqueBackend(): Backend {
  const js = new JsBackend();
  const unwrap = (a: unknown): unknown => (a instanceof OpaqueBuffer ? a.elements : a);
  const memory = {
    name: 'opaque', device: 'webgpu' as const,
    alloc: (dtype: DType, size: number) => new OpaqueBuffer(js.alloc(dtype, size)),
    upload: (data: TypedArray) => new OpaqueBuffer(data.slice()),
    read: (x: OpaqueBuffer) => Promise.resolve(x.elements.slice()),
  };
  return new Proxy(js, {
    get(target, prop) {
      if (prop in memory) return memory[prop as keyof typeof memory];
      if (prop === 'readSync' || prop === 'constant') return undefined;
      const v = Reflect.get(target, prop) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => (v as (...a: unknown[]) => unknown).apply(target, args.map(unwrap));
    },
  }) as unknown as Backend;
}

registerDevice('webgpu', async () => ({ backend: opaqueBackend(), info: { device: 'webgpu', backend: 'opaque', description: 'host-opaque stand-in', details: {} } }));
await initDevice('webgpu');

const g = new Generator(3);
const f64 = (shape: number[]): Tensor => bp.randn(shape, { dtype: 'float64', generator: g });

/** Runs fn on CPU copies and on device copies of the inputs; outputs and input gradients must agree. */
async function sameOnDevice(name: string, fn: (...xs: Tensor[]) => Tensor | Tensor[], inputs: Tensor[]): Promise<void> {
  const run = async (device: 'cpu' | 'webgpu'): Promise<{ outs: number[][]; grads: number[][] }> => {
    const xs = inputs.map((t) => {
      const y = bp.tensor(t.data.slice(), { shape: t.shape, dtype: t.dtype, device });
      if (t.dtype !== 'int32') y.requiresGrad = true;
      return y;
    });
    const res = fn(...xs);
    const outs = Array.isArray(res) ? res : [res];
    for (const o of outs) assert.equal(o.device, device, `${name}: output on ${o.device}`);
    const float = outs.filter((o) => o.requiresGrad);
    if (float.length > 0) {
      let total = float[0]!.mul(float[0]!).sum();
      for (const o of float.slice(1)) total = total.add(o.mul(o).sum());
      total.backward();
    }
    return {
      outs: await Promise.all(outs.map(async (o) => Array.from(await o.dataAsync()))),
      grads: await Promise.all(xs.filter((x) => x.requiresGrad).map(async (x) => (x.grad ? Array.from(await x.grad.dataAsync()) : []))),
    };
  };
  const cpu = await run('cpu');
  const dev = await run('webgpu');
  assert.deepEqual(dev.outs, cpu.outs, `${name}: outputs differ`);
  assert.deepEqual(dev.grads, cpu.grads, `${name}: gradients differ`);
}

const i32 = (v: number[] | number[][]): Tensor => tensor(v, { dtype: 'int32' });

const cases: [string, (...xs: Tensor[]) => Tensor | Tensor[], () => Tensor[]][] = [
  ['math maps', (x) => [bp.sin(x!), bp.cos(x!), bp.tan(x!.mul(0.3)), bp.atan(x!), bp.sinh(x!), bp.cosh(x!), bp.expm1(x!), bp.square(x!), bp.floor(x!), bp.round(x!), bp.sign(x!)], () => [f64([3, 4])]],
  ['math on positives', (x) => [bp.log1p(x!), bp.log2(x!), bp.log10(x!), bp.rsqrt(x!), bp.reciprocal(x!), bp.asin(x!.mul(0.3)), bp.acos(x!.mul(0.3))], () => [f64([3, 4]).abs().add(0.5)]],
  ['binary math', (a, b) => [bp.atan2(a!, b!), bp.fmod(a!, b!), bp.remainder(a!, b!), bp.lerp(a!, b!, 0.7), bp.addcmul(a!, a!, b!, { value: 2 })], () => [f64([3, 4]), f64([4]).abs().add(0.5)]],
  ['isnan / nanToNum', (x) => [bp.nanToNum(x!.log()), bp.isnan(x!.log()), x!.isfinite()], () => [f64([5])]],
  ['activations', (x, w) => [bp.silu(x!), bp.mish(x!), bp.selu(x!), bp.celu(x!, 2), bp.hardtanh(x!), bp.relu6(x!), bp.hardswish(x!), bp.hardsigmoid(x!), bp.logsigmoid(x!), bp.softsign(x!), bp.prelu(x!, w!), bp.glu(x!, 1)], () => [f64([2, 4, 3]), f64([4])]],
  ['prod, cumsum, cumprod', (x) => [bp.prod(x!, 1), bp.prod(x!), bp.cumsum(x!, 0), bp.cumprod(x!, 1)], () => [tensor([[1, 0, 2], [3, -1, 0.5]], { dtype: 'float64' })]],
  ['norm, std, any, all', (x) => [bp.norm(x!), bp.norm(x!, 1, 1), bp.norm(x!, Infinity, 0), bp.norm(x!, 3), bp.std(x!, 1), bp.any(x!.gt(1), 1), bp.all(x!.gt(-5))], () => [f64([3, 4])]],
  ['max / amax with ties', (x) => [bp.max(x!), bp.max(x!, 1), bp.amin(x!, [0, 1])], () => [tensor([[1, 3, 3], [3, 0, 0]], { dtype: 'float64' })]],
  ['sort, argsort, topk', (x) => { const s = bp.sort(x!, 1, true), t = bp.topk(x!, 2, 0, false); return [s.values, s.indices, t.values, t.indices, bp.argsort(x!)]; }, () => [f64([4, 5])]],
  ['tril, triu, maskedFill', (x) => [bp.tril(x!), bp.triu(x!, 1), bp.maskedFill(x!, x!.gt(0), -1)], () => [f64([2, 3, 4])]],
  ['scatter family', (x, s, idx, rows) => [bp.scatter(x!, 1, idx!, s!), bp.scatter(x!, 1, idx!, 5), bp.scatterAdd(x!, 1, idx!, s!), bp.indexAdd(x!, 0, rows!, s!.sliceDim(1, 0, 1).expand([2, 3])), bp.takeAlongDim(x!, idx!, 1)], () => [f64([2, 3]), f64([2, 2]), i32([[2, 0], [1, 2]]), i32([1, 1])]],
  ['reshaping', (x) => [bp.repeat(x!, [2, 1, 2]), bp.tile(x!, [3]), bp.repeatInterleave(x!, 2, 1), bp.repeatInterleave(x!, [2, 1], 0), bp.flip(x!, [0, 1]), bp.roll(x!, [1, -1], [0, 1]), ...bp.chunk(x!, 2, 1), ...bp.unbind(x!), bp.narrow(x!, 1, 1, 2), bp.movedim(x!, 0, 1)], () => [f64([2, 3])]],
  ['linear algebra', (a, b, v) => [bp.einsum('ij,jk->ik', a!, b!), bp.einsum('ii', b!.sliceDim(1, 0, 3)), bp.einsum('i,j', v!, v!), bp.bmm(a!.unsqueeze(0), b!.unsqueeze(0)), bp.outer(v!, v!), bp.dot(v!, v!), bp.diag(v!, 1), bp.diag(a!), bp.trace(a!), bp.diagonal(b!, -1)], () => [f64([3, 3]), f64([3, 4]), f64([3])]],
];

for (const [name, fn, inputs] of cases) {
  test(`device-agnostic: ${name} run on a device the host cannot read`, async () => {
    await sameOnDevice(name, fn, inputs());
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
