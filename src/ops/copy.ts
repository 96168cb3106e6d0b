import type { Device, DType } from '../backend/backend.js';
import { apply } from '../autograd/engine.js';
import { backendFor } from '../backend/registry.js';
import { DeviceError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { defineOp } from './op.js';
import { cast } from './elementwise.js';
import { reshape } from './shape.js';

/** A copy with its own storage; the gradient passes through unchanged. */
export const cloneOp = defineOp<Record<string, never>>({
  name: 'clone',
  forward: (b, [x]) => {
    const out = b.alloc(x!.dtype, x!.size);
    b.unary('copy', x!.storage, out);
    return { storage: out, shape: x!.shape };
  },
  backward: (g) => [g],
});

/** A copy with its own storage, on the same device (differentiable, as torch.clone). @example const y = x.clone() */
export function clone(x: Tensor): Tensor {
  return apply(cloneOp, [x], {});
}

/**
 * The elements of x on `device` (and optionally as `dtype`, reshaped to `shape`), as a new
 * tensor outside the graph. Host → GPU is a synchronous upload; GPU → host needs a readback,
 * which WebGPU only does asynchronously: use `toDeviceAsync` for that direction.
 */
export function toDevice(x: Tensor, device: Device, dtype: DType = x.dtype, shape: readonly number[] = x.shape): Tensor {
  let t = x.dtype === dtype ? x.detach() : cast(x.detach(), dtype);
  if (t.device !== device) {
    if (t.device !== 'cpu') {
      throw new DeviceError(`to('${device}'): a tensor on '${t.device}' can only be read back asynchronously; use await t.toAsync('${device}')`);
    }
    t = Tensor.fromRaw(backendFor(device).upload(t.data.slice()), t.shape);
  }
  return reshape(t, shape);
}

/** Like toDevice, in every direction (GPU → host waits for the readback). @example const y = await x.toAsync('cpu') */
export async function toDeviceAsync(x: Tensor, device: Device, dtype: DType = x.dtype): Promise<Tensor> {
  if (x.device === device || x.device === 'cpu') return toDevice(x, device, dtype);
  const host = Tensor.fromRaw(await x.dataAsync(), x.shape); // a fresh copy off the device
  return toDevice(host, device, dtype);
}
