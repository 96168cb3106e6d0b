import type { Backend, DeviceBuffer, DType, TypedArray } from '../../src/backend/backend.js';
import { JsBackend } from '../../src/backend/js/index.js';
import { registerDevice, type DeviceInfo } from '../../src/backend/registry.js';

/**
 * A stand-in for a GPU in tests that run without one: the 'webgpu' device served by the
 * reference kernels on boxed host arrays. It has no readSync, so any library code that reads
 * a device tensor on the host (t.data) throws, exactly as on a real GPU; and its results are
 * bitwise those of the js backend, so CPU and "device" runs can be compared exactly.
 */
export class Box implements DeviceBuffer {
  readonly device = 'webgpu' as const;
  constructor(readonly data: TypedArray) {}
  get dtype(): DType {
    return this.data instanceof Float32Array ? 'float32' : this.data instanceof Float64Array ? 'float64' : 'int32';
  }
  get length(): number {
    return this.data.length;
  }
}

const js = new JsBackend();
const un = (b: Box): TypedArray => b.data;
const unOrNull = (b: Box | null): TypedArray | null => (b === null ? null : b.data);

export class EmulatedDeviceBackend implements Backend<Box> {
  readonly name = 'emulated-webgpu';
  readonly device = 'webgpu' as const;
  /** counts every kernel launch, as a GPU backend counts dispatches */
  launches = 0;

  alloc(dtype: DType, size: number): Box { return new Box(js.alloc(dtype, size)); }
  upload(data: TypedArray): Box { return new Box(data.slice()); }
  read(x: Box): Promise<TypedArray> { return Promise.resolve(x.data.slice()); }

  cast(x: Box, out: Box): void { this.launches++; js.cast(un(x), un(out)); }
  unary(...[op, x, out, p0, p1]: Parameters<Backend<Box>['unary']>): void { this.launches++; js.unary(op, un(x), un(out), p0, p1); }
  binary(...[op, a, as, b, bs, out, os]: Parameters<Backend<Box>['binary']>): void { this.launches++; js.binary(op, un(a), as, un(b), bs, un(out), os); }
  where(...[c, cs, a, as, b, bs, out, os]: Parameters<Backend<Box>['where']>): void { this.launches++; js.where(un(c), cs, un(a), as, un(b), bs, un(out), os); }
  reduce(...[op, x, shape, axes, out]: Parameters<Backend<Box>['reduce']>): void { this.launches++; js.reduce(op, un(x), shape, axes, un(out)); }
  argReduce(...[op, x, shape, axis, out]: Parameters<Backend<Box>['argReduce']>): void { this.launches++; js.argReduce(op, un(x), shape, axis, un(out)); }
  scan(...[op, x, shape, axis, reverse, out]: Parameters<Backend<Box>['scan']>): void { this.launches++; js.scan(op, un(x), shape, axis, reverse, un(out)); }
  argsort(...[x, shape, axis, descending, out]: Parameters<Backend<Box>['argsort']>): void { this.launches++; js.argsort(un(x), shape, axis, descending, un(out)); }
  matmul(...[a, b, out, args]: Parameters<Backend<Box>['matmul']>): void { this.launches++; js.matmul(un(a), un(b), un(out), args); }
  strided(...[x, offset, strides, out, shape]: Parameters<Backend<Box>['strided']>): void { this.launches++; js.strided(un(x), offset, strides, un(out), shape); }
  stridedAdd(...[x, xs, out, offset, strides]: Parameters<Backend<Box>['stridedAdd']>): void { this.launches++; js.stridedAdd(un(x), xs, un(out), offset, strides); }
  indexSelect(...[x, shape, axis, index, out]: Parameters<Backend<Box>['indexSelect']>): void { this.launches++; js.indexSelect(un(x), shape, axis, un(index), un(out)); }
  indexAdd(...[g, axis, index, out, shape]: Parameters<Backend<Box>['indexAdd']>): void { this.launches++; js.indexAdd(un(g), axis, un(index), un(out), shape); }
  gather(...[x, shape, axis, index, is, out]: Parameters<Backend<Box>['gather']>): void { this.launches++; js.gather(un(x), shape, axis, un(index), is, un(out)); }
  scatterAdd(...[g, is, axis, index, out, shape]: Parameters<Backend<Box>['scatterAdd']>): void { this.launches++; js.scatterAdd(un(g), is, axis, un(index), un(out), shape); }
  scatter(...[src, is, axis, index, out, shape]: Parameters<Backend<Box>['scatter']>): void { this.launches++; js.scatter(un(src), is, axis, un(index), un(out), shape); }
  im2col(...[x, cols, args]: Parameters<Backend<Box>['im2col']>): void { this.launches++; js.im2col(un(x), un(cols), args); }
  col2im(...[cols, out, args]: Parameters<Backend<Box>['col2im']>): void { this.launches++; js.col2im(un(cols), un(out), args); }
  poolArgmax(...[x, args, out]: Parameters<Backend<Box>['poolArgmax']>): void { this.launches++; js.poolArgmax(un(x), args, un(out)); }
  biasAct(...[act, z, bias, out]: Parameters<NonNullable<Backend<Box>['biasAct']>>): void { this.launches++; js.biasAct(act, un(z), un(bias), un(out)); }
  actGrad(...[act, g, y, out]: Parameters<NonNullable<Backend<Box>['actGrad']>>): void { this.launches++; js.actGrad(act, un(g), un(y), un(out)); }
  logSoftmax(...[x, rows, cols, out]: Parameters<NonNullable<Backend<Box>['logSoftmax']>>): void { this.launches++; js.logSoftmax(un(x), rows, cols, un(out)); }
  crossEntropy(...[z, t, w, args, out]: Parameters<NonNullable<Backend<Box>['crossEntropy']>>): void { this.launches++; js.crossEntropy(un(z), un(t), unOrNull(w), args, un(out)); }
  crossEntropyGrad(...[z, t, w, g, args, out]: Parameters<NonNullable<Backend<Box>['crossEntropyGrad']>>): void { this.launches++; js.crossEntropyGrad(un(z), un(t), unOrNull(w), un(g), args, un(out)); }
  sgdStep(...[x, g, buf, h]: Parameters<NonNullable<Backend<Box>['sgdStep']>>): void { this.launches++; js.sgdStep(un(x), un(g), unOrNull(buf), h); }
  adamStep(...[x, g, m, v, vmax, h]: Parameters<NonNullable<Backend<Box>['adamStep']>>): void { this.launches++; js.adamStep(un(x), un(g), un(m), un(v), unOrNull(vmax), h); }
  layerNorm(...[x, w, b, rows, cols, eps, out]: Parameters<NonNullable<Backend<Box>['layerNorm']>>): void { this.launches++; js.layerNorm(un(x), unOrNull(w), unOrNull(b), rows, cols, eps, un(out)); }
  layerNormGrad(...[g, x, w, rows, cols, eps, dx, dw, db]: Parameters<NonNullable<Backend<Box>['layerNormGrad']>>): void {
    this.launches++;
    js.layerNormGrad(un(g), un(x), unOrNull(w), rows, cols, eps, un(dx), unOrNull(dw), unOrNull(db));
  }
  geluGrad(...[g, x, y, out]: Parameters<NonNullable<Backend<Box>['geluGrad']>>): void { this.launches++; js.geluGrad(un(g), un(x), un(y), un(out)); }
  attention(...[q, k, v, args, out]: Parameters<NonNullable<Backend<Box>['attention']>>): void { this.launches++; js.attention(un(q), un(k), un(v), args, un(out)); }
  attentionGrad(...[q, k, v, g, args, dq, dk, dv]: Parameters<NonNullable<Backend<Box>['attentionGrad']>>): void {
    this.launches++;
    js.attentionGrad(un(q), un(k), un(v), un(g), args, un(dq), un(dk), un(dv));
  }
}

/** Registers the emulated device as 'webgpu' (call before initDevice('webgpu')). */
export function useEmulatedDevice(): EmulatedDeviceBackend {
  const backend = new EmulatedDeviceBackend();
  const info: DeviceInfo = { device: 'webgpu', backend: backend.name, description: 'emulated (reference kernels on boxed host arrays)', details: {} };
  registerDevice('webgpu', () => Promise.resolve({ backend, info }));
  return backend;
}
