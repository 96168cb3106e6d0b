/**
 * The op suite on the webgpu device: every case of gradcheck-cases.ts (one or more per primitive of
 * the op table, and the composites) runs forward and backward in float32 on the CPU and on
 * webgpu from the same inputs; outputs and input gradients must agree. No Node APIs: the
 * cases run in headless Chromium (test/web/webgpu.test.ts) and, a few, in Node.
 */
import { Tensor, opTable, randn, setDefaultDevice, type Device, type OpName, Generator } from '../../src/browser.js';
import { cases, composites, type Case } from './gradcheck-cases.js';

export interface DeviceCase {
  name: string;
  run(): Promise<void>;
}

/** Thrown by a case that does not apply on the device (the runners report it as skipped, with the reason). */
export class SkipCase extends Error {
  override name = 'SkipCase';
}

/** |a − e| / max(1, |e|) may reach this (float32 kernels in different orders). */
export const DEVICE_TOL = 2e-4;

/** Compares two host arrays; throws naming the worst element. */
export function agree(what: string, got: ArrayLike<number>, want: ArrayLike<number>, tol = DEVICE_TOL): void {
  if (got.length !== want.length) throw new Error(`${what}: ${got.length} values on webgpu, ${want.length} on the CPU`);
  for (let i = 0; i < want.length; i++) {
    const a = got[i]!, e = want[i]!;
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (!(Math.abs(a - e) / Math.max(1, Math.abs(e)) <= tol)) throw new Error(`${what}[${i}]: webgpu ${a}, cpu ${e}`);
  }
}

interface Evaluated {
  out: Float32Array | Float64Array | Int32Array;
  grads: (Float32Array | Float64Array | Int32Array | null)[];
}

/**
 * fn on `device` (which also becomes the default, for tensors the case makes itself), then
 * backward of Σ out·seed, the seed drawn on the CPU from a fixed generator (the same on both devices).
 */
async function evaluate(fn: Case['fn'], inputs: readonly Tensor[], device: Device): Promise<Evaluated & { dtype: string }> {
  setDefaultDevice(device);
  try {
    const leaves = inputs.map((t) => {
      const x = t.to(device).detach();
      if (x.dtype !== 'int32') x.requiresGrad = true;
      return x;
    });
    const out = fn(...leaves);
    const seed = randn([...out.shape], { generator: new Generator(11), device: 'cpu' }).to(device);
    if (out.requiresGrad) out.mul(seed).sum().backward();
    return {
      dtype: out.dtype,
      out: await out.dataAsync(),
      grads: await Promise.all(leaves.map((l) => (l.grad ? l.grad.dataAsync() : Promise.resolve(null)))),
    };
  } finally {
    setDefaultDevice('cpu');
  }
}

function deviceCase(name: string, c: Case): DeviceCase {
  return {
    name,
    run: async () => {
      setDefaultDevice('cpu');
      // float64 draws (as gradcheck makes them) become the float32 inputs both devices share
      const inputs = c.inputs().map((t) => (t.dtype === 'float64' ? t.detach().to('float32') : t.detach()));
      const cpu = await evaluate(c.fn, inputs, 'cpu');
      if (cpu.dtype === 'float64') throw new SkipCase('the case makes float64 tensors of its own, which webgpu cannot hold (WGSL has no f64)');
      // the inputs are float32, so a float64 refusal comes from a tensor the case makes itself
      const gpu = await evaluate(c.fn, inputs, 'webgpu').catch((e: unknown) => {
        if (e instanceof Error && e.name === 'DTypeError' && /WGSL has no f64/.test(e.message)) throw new SkipCase(`the case makes a float64 tensor of its own (${e.message})`);
        throw e;
      });
      agree(`${name}: output`, gpu.out, cpu.out);
      cpu.grads.forEach((g, i) => {
        const h = gpu.grads[i];
        if ((g === null) !== (h === null || h === undefined)) throw new Error(`${name}: input ${i} has a gradient on one device only`);
        if (g !== null) agree(`${name}: ∂/∂input ${i}`, h!, g);
      });
    },
  };
}

/** Every op-table case and every composite, as device cases. */
export function opDeviceCases(): DeviceCase[] {
  const out: DeviceCase[] = [];
  for (const name of Object.keys(opTable) as OpName[]) {
    cases[name].forEach((c, i) => out.push(deviceCase(`op ${name}${cases[name].length > 1 ? ` #${i + 1}` : ''}`, c)));
  }
  for (const [name, c] of Object.entries(composites)) out.push(deviceCase(`composite ${name}`, c));
  return out;
}
