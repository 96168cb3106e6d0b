/**
 * What every WGSL kernel family shares: dtype mapping, the linear-id preamble, and the host-side
 * merging of dimensions that keeps index arithmetic in the shaders short.
 */
import type { DType, Shape } from '../../backend.js';
import type { GpuBuffer } from '../buffer.js';
import type { Decl } from '../runtime.js';
import { DTypeError } from '../../../errors.js';
import { stridesOf } from '../../../tensor/shape.js';

// the kernels take the tensor's own row-major size and strides, so host and shader agree on layout
export { sizeOf, stridesOf } from '../../../tensor/shape.js';

export type Scalar = 'f32' | 'i32';

/** The WGSL scalar type of a dtype; float64 has none. */
export function wgslType(dtype: DType, op: string): Scalar {
  if (dtype === 'float32') return 'f32';
  if (dtype === 'int32') return 'i32';
  throw new DTypeError(`${op}: float64 is not available on webgpu (WGSL has no f64); use float32, or the cpu device for float64`);
}

/** The float32 WGSL type; float64 and int32 are refused (optimizer updates, softmax, ...). */
export function floatOnly(dtype: DType, op: string): 'f32' {
  if (dtype === 'float32') return 'f32';
  if (dtype === 'float64') wgslType(dtype, op);
  throw new DTypeError(`${op}: expected float32 on webgpu, got ${dtype}`);
}

/** Workgroup size of the one-thread-per-element kernels. */
export const WG = 256;

/** Entry point of a one-thread-per-element kernel: defines `i`, the element index. */
export const MAIN_1D = `@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = (wg.y * nwg.x + wg.x) * ${WG}u + lid;`;

/** Workgroups for one thread per element. */
export const groupsFor = (n: number): number => Math.ceil(n / WG);

/** An iteration space: dims (outermost first) and, per operand, its element stride along each. */
export interface Layout {
  dims: number[];
  strides: number[][];
}

/**
 * Drops size-1 dims and merges neighbours that are contiguous for every operand, so a broadcast
 * over [64, 1, 128] against [128] becomes two dims, and contiguous operands become one.
 */
export function mergeDims(dims: readonly number[], strides: readonly (readonly number[])[]): Layout {
  const outDims: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let i = 0; i < dims.length; i++) {
    const d = dims[i]!;
    if (d === 1) continue;
    const last = outDims.length - 1;
    if (last >= 0 && strides.every((s, k) => outStrides[k]![last] === s[i]! * d)) {
      outDims[last] = outDims[last]! * d;
      strides.forEach((s, k) => { outStrides[k]![last] = s[i]!; });
    } else {
      outDims.push(d);
      strides.forEach((s, k) => outStrides[k]!.push(s[i]!));
    }
  }
  return { dims: outDims, strides: outStrides };
}

/** Strides of `shape` read as broadcast to `outShape` (NumPy rules): 0 along broadcast dims. */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const full = stridesOf(shape);
  const r = new Array<number>(outShape.length).fill(0);
  for (let i = 0; i < shape.length; i++) {
    const oi = outShape.length - shape.length + i;
    r[oi] = shape[i] === 1 ? 0 : full[i]!;
  }
  return r;
}

/** True when every operand walks the layout contiguously (one flat loop, no index math). */
export const isFlat = (l: Layout): boolean => l.dims.length <= 1 && l.strides.every((s) => s.length === 0 || s[0] === 1);

/**
 * WGSL that turns the element index `i` into one offset per operand for a layout of rank `rank`,
 * reading dims at parameter `dimsAt` and operand k's strides at `dimsAt + rank·(k+1)`.
 */
export function offsetsCode(rank: number, operands: number, dimsAt: number, names: readonly string[]): string {
  let code = names.map((n) => `  var ${n} = 0u;\n`).join('') + '  var rem = i;\n';
  for (let d = rank - 1; d >= 0; d--) {
    code += `  { let dim = pu(${dimsAt + d}u); let c = rem % dim; rem = rem / dim;\n`;
    for (let k = 0; k < operands; k++) code += `    ${names[k]} += c * pu(${dimsAt + rank * (k + 1) + d}u);\n`;
    code += '  }\n';
  }
  return code;
}

/** Parameters for offsetsCode: dims then each operand's strides. */
export function layoutParams(l: Layout): number[] {
  return [...l.dims, ...l.strides.flat()];
}

/** Ranks above this are rejected (after merging, real programs stay far below it). */
export const MAX_RANK = 8;

/**
 * WGSL of a workgroup's fixed-order tree reductions over `size` threads (a power of two):
 * rmax(t, v) (NaN wins, as on the CPU) and rsum(t, v), each returning the result to every
 * thread. They contain barriers, so every thread of the workgroup must call them.
 */
export function treeReductions(size: number): string {
  return `var<workgroup> red: array<f32, ${size}>;
fn rmax(t: u32, v: f32) -> f32 {
  red[t] = v; workgroupBarrier();
  for (var s = ${size / 2}u; s > 0u; s = s >> 1u) {
    if (t < s) { let o = red[t + s]; if (!is_nan(red[t]) && (o > red[t] || is_nan(o))) { red[t] = o; } }
    workgroupBarrier();
  }
  let r = red[0]; workgroupBarrier(); return r;
}
fn rsum(t: u32, v: f32) -> f32 {
  red[t] = v; workgroupBarrier();
  for (var s = ${size / 2}u; s > 0u; s = s >> 1u) { if (t < s) { red[t] = red[t] + red[t + s]; } workgroupBarrier(); }
  let r = red[0]; workgroupBarrier(); return r;
}`;
}

const ACCESS_LETTER = { read: 'r', write: 'w', rw: 'x' } as const;

/** One operand of a kernel that may share its buffer with others (q, k and v of a packed projection). */
export interface Operand {
  /** the name the WGSL uses for it when its buffer is its own */
  name: string;
  buffer: GpuBuffer;
  access: Decl['access'];
}

/**
 * One binding per distinct buffer (WebGPU rejects a buffer bound twice when one of the bindings
 * is writable), the binding name each operand reads through, and a key for the aliasing pattern.
 */
export function distinctBindings(operands: readonly Operand[], type: Decl['type']): { decls: Decl[]; buffers: GpuBuffer[]; names: string[]; key: string } {
  const decls: Decl[] = [], buffers: GpuBuffer[] = [], names: string[] = [], slots: number[] = [];
  for (const o of operands) {
    let k = buffers.indexOf(o.buffer);
    if (k < 0) {
      k = buffers.length;
      buffers.push(o.buffer);
      decls.push({ name: o.name, type, access: o.access });
    } else if (decls[k]!.access !== o.access) {
      decls[k] = { ...decls[k]!, access: 'rw' };
    }
    names.push(decls[k]!.name);
    slots.push(k);
  }
  return { decls, buffers, names, key: `${slots.join('.')}:${decls.map((d) => ACCESS_LETTER[d.access]).join('')}` };
}
