/**
 * Batched GEMM tiled in workgroup memory. A 16×16 workgroup computes a BM×BN tile of C, each
 * thread a TM×TN block of registers, stepping through K in BK-deep slabs of A and B staged in
 * workgroup memory. The transposes only change how a slab is loaded (each variant reads global
 * memory in unit-stride runs and stores into a padded, conflict-free layout), so NN, TN and NT
 * run the same inner loop at the same speed.
 *
 * Tiles are sized to the output: 128×128 only when there are enough of them to fill a large GPU.
 * A product with few tiles and a long K (a batch of 128 through a 1024-wide layer) is split
 * along K into partial products, summed afterwards by a second pass in a fixed order.
 */
import type { MatmulArgs } from '../../backend.js';
import type { GpuBuffer } from '../buffer.js';
import type { Decl, GpuRuntime, Kernel } from '../runtime.js';
import { wgslType, type Scalar } from './common.js';
import { reduce } from './reduce.js';

/** A thread's register block (tm × tn) and the K depth of a staged slab (bk). */
export interface Tile { tm: number; tn: number; bk: number }
/** 128×128 tiles only when there are at least this many (a large GPU has over 100 cores to fill) */
const LARGE_TILES_MIN = 128;
/** fewer tiles than this, with K long enough, and K is split */
const SPLIT_BELOW_TILES = 64;
const SPLIT_MIN_K = 256;
const MAX_SPLITS = 8;
/**
 * @internal The two tiles matmul chooses between; the GPU benchmark's sweep (bench/gpu/gemm-sweep.ts)
 * replaces them to time other shapes.
 */
export const matmulTiles: { small: Tile; large: Tile } = { small: { tm: 4, tn: 4, bk: 16 }, large: { tm: 8, tn: 8, bk: 16 } };

/** Bytes of workgroup memory a tile stages (both slabs, with their padding column). */
export function tileStorageBytes(tile: Tile, transA: boolean, transB: boolean): number {
  return 4 * tile.bk * (16 * tile.tm + (transA ? 0 : 1) + 16 * tile.tn + (transB ? 1 : 0));
}

/** Generated kernels by key: building the source costs more than a dispatch. */
const kernels = new Map<string, Kernel>();

function matmulKernel(t: Scalar, transA: boolean, transB: boolean, tile: Tile, offsets: boolean): Kernel {
  const key = `matmul:${t}:${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}:${tile.tm}x${tile.tn}x${tile.bk}:${offsets ? 'offs' : 'dense'}`;
  let kernel = kernels.get(key);
  if (!kernel) kernels.set(key, kernel = buildMatmulKernel(key, t, transA, transB, tile, offsets));
  return kernel;
}

function buildMatmulKernel(key: string, t: Scalar, transA: boolean, transB: boolean, tile: Tile, offsets: boolean): Kernel {
  const { tm, tn, bk } = tile;
  const bm = 16 * tm, bn = 16 * tn;
  // pad the k-major slabs by one column when the load walks k fastest, so stores spread over banks
  const sa = bm + (transA ? 0 : 1), sb = bn + (transB ? 1 : 0);
  const zero = t === 'f32' ? '0.0' : '0';
  const loadsA = (bm * bk) / 256, loadsB = (bn * bk) / 256;
  const lines: string[] = [];
  lines.push(`var<workgroup> As: array<${t}, ${bk * sa}>;`);
  lines.push(`var<workgroup> Bs: array<${t}, ${bk * sb}>;`);
  lines.push('@compute @workgroup_size(16, 16)');
  lines.push('fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(local_invocation_index) t: u32) {');
  lines.push('  let M = pu(0u); let N = pu(1u); let K = pu(2u); let batch = pu(4u);');
  // z runs over batch entries × K splits; split sp covers K in [kBegin, kEnd)
  lines.push('  let z = wg.z + pu(3u); let splits = pu(5u); let bt = z / splits; let sp = z % splits;');
  lines.push('  let kBegin = sp * pu(6u); let kEnd = min(K, kBegin + pu(6u));');
  if (offsets) lines.push('  let aOff = u32(offs[bt]); let bOff = u32(offs[batch + bt]);');
  else lines.push('  let aOff = bt * M * K; let bOff = bt * K * N;');
  lines.push(`  let row0 = wg.y * ${bm}u; let col0 = wg.x * ${bn}u;`);
  for (let i = 0; i < tm; i++) lines.push(`  var c${i}: array<${t}, ${tn}>;`);
  lines.push(`  for (var k0 = kBegin; k0 < kEnd; k0 += ${bk}u) {`);
  for (let q = 0; q < loadsA; q++) {
    lines.push(`    { let e = t + ${256 * q}u;`);
    lines.push(transA ? `      let mm = e % ${bm}u; let kk = e / ${bm}u;` : `      let kk = e % ${bk}u; let mm = e / ${bk}u;`);
    lines.push('      let gm = row0 + mm; let gk = k0 + kk;');
    lines.push(`      var v: ${t} = ${zero};`);
    lines.push(`      if (gm < M && gk < kEnd) { v = a[aOff + ${transA ? 'gk * M + gm' : 'gm * K + gk'}]; }`);
    lines.push(`      As[kk * ${sa}u + mm] = v; }`);
  }
  for (let q = 0; q < loadsB; q++) {
    lines.push(`    { let e = t + ${256 * q}u;`);
    lines.push(transB ? `      let kk = e % ${bk}u; let nn = e / ${bk}u;` : `      let nn = e % ${bn}u; let kk = e / ${bn}u;`);
    lines.push('      let gn = col0 + nn; let gk = k0 + kk;');
    lines.push(`      var v: ${t} = ${zero};`);
    lines.push(`      if (gn < N && gk < kEnd) { v = b[bOff + ${transB ? 'gn * K + gk' : 'gk * N + gn'}]; }`);
    lines.push(`      Bs[kk * ${sb}u + nn] = v; }`);
  }
  lines.push('    workgroupBarrier();');
  lines.push(`    for (var kk = 0u; kk < ${bk}u; kk++) {`);
  for (let i = 0; i < tm; i++) lines.push(`      let a${i} = As[kk * ${sa}u + lid.y + ${16 * i}u];`);
  for (let j = 0; j < tn; j++) lines.push(`      let b${j} = Bs[kk * ${sb}u + lid.x + ${16 * j}u];`);
  for (let i = 0; i < tm; i++) for (let j = 0; j < tn; j++) lines.push(`      c${i}[${j}] = c${i}[${j}] + a${i} * b${j};`);
  lines.push('    }');
  lines.push('    workgroupBarrier();');
  lines.push('  }');
  lines.push('  let cOff = (sp * batch + bt) * M * N;');
  for (let i = 0; i < tm; i++) {
    lines.push(`  { let r = row0 + lid.y + ${16 * i}u; if (r < M) {`);
    for (let j = 0; j < tn; j++) lines.push(`    { let c = col0 + lid.x + ${16 * j}u; if (c < N) { out[cOff + r * N + c] = c${i}[${j}]; } }`);
    lines.push('  } }');
  }
  lines.push('}');
  const decls: Decl[] = [{ name: 'a', type: t, access: 'read' }, { name: 'b', type: t, access: 'read' }];
  if (offsets) decls.push({ name: 'offs', type: 'i32', access: 'read' });
  return {
    key,
    decls: [...decls, { name: 'out', type: t, access: 'write' }],
    body: () => lines.join('\n'),
  };
}

/** out[b] = op(A[b]) @ op(B[b]) for every batch entry; out is [batch, m, n] contiguous. */
export function matmul(rt: GpuRuntime, a: GpuBuffer, b: GpuBuffer, out: GpuBuffer, args: MatmulArgs): void {
  const t = wgslType(a.dtype, 'matmul');
  const { batch, m, n, k } = args;
  if (batch * m * n === 0) return;
  if (k === 0) { rt.clear(out); return; }
  const tilesOf = (t: Tile): number => Math.ceil(m / (16 * t.tm)) * Math.ceil(n / (16 * t.tn)) * batch;
  const { small, large } = matmulTiles;
  // a device with less workgroup memory than the large tile stages (16 KiB is WebGPU's floor) keeps the small one
  const fits = tileStorageBytes(large, args.transA, args.transB) <= rt.device.limits.maxComputeWorkgroupStorageSize;
  const tile = fits && tilesOf(large) >= LARGE_TILES_MIN ? large : small;
  const tiles = tilesOf(tile);
  let splits = 1;
  if (tiles < SPLIT_BELOW_TILES && k >= 2 * SPLIT_MIN_K) splits = Math.min(MAX_SPLITS, Math.ceil(SPLIT_BELOW_TILES * 2 / tiles), Math.floor(k / SPLIT_MIN_K));
  const kChunk = Math.ceil(k / splits / tile.bk) * tile.bk;
  splits = Math.ceil(k / kChunk);
  const offsets = args.aOffsets !== null || args.bOffsets !== null;
  let offs: GpuBuffer | null = null;
  if (offsets) {
    const host = new Int32Array(2 * batch);
    for (let i = 0; i < batch; i++) {
      host[i] = args.aOffsets ? args.aOffsets[i]! : i * m * k;
      host[batch + i] = args.bOffsets ? args.bOffsets[i]! : i * k * n;
    }
    offs = rt.upload(host, 'int32');
  }
  const kernel = matmulKernel(t, args.transA, args.transB, tile, offsets);
  const gx = Math.ceil(n / (16 * tile.tn)), gy = Math.ceil(m / (16 * tile.tm));
  const maxZ = rt.device.limits.maxComputeWorkgroupsPerDimension;
  const target = splits > 1 ? rt.alloc(out.dtype, splits * batch * m * n) : out;
  const buffers = offs ? [a, b, offs, target] : [a, b, target];
  const zs = batch * splits;
  for (let z0 = 0; z0 < zs; z0 += maxZ) {
    rt.run(kernel, buffers, [m, n, k, z0, batch, splits, kChunk], [gx, gy, Math.min(maxZ, zs - z0)]);
  }
  if (offs) rt.release(offs);
  if (splits > 1) {
    reduce(rt, 'sum', target, [splits, batch * m * n], [0], out);
    rt.release(target);
  }
}
