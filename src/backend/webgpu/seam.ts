/**
 * The parts of the backend seam (SEAM.md) that main does not have yet, written down so the
 * WebGPU backend can be built against the contract before it lands. When the seam lands these
 * come from ../backend.ts and src/tensor instead, and this file goes.
 */
import type { DType, UnaryOp as CpuUnaryOp } from '../backend.js';

export type Device = 'cpu' | 'webgpu';

/** A tensor's storage when it lives on a device other than the CPU. */
export interface DeviceBuffer {
  readonly device: Device;
  readonly dtype: DType;
  readonly length: number;
}

/** SEAM.md's unary set: clamp joins (p0 = lo, p1 = hi). */
export type UnaryOp = CpuUnaryOp | 'clamp';

import { BackpropError } from '../../errors.js';

/** Provisional: main's DeviceError (no usable device, or a tensor on the wrong device). */
export class DeviceError extends BackpropError {}
