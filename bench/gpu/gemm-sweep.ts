/**
 * Times backprop's WebGPU GEMM at n = 4096 (NN, TN, NT) for several register tiles, so one run on
 * a real GPU shows which tile its default should be (bench/gpu/device-run.sh runs it there).
 * Every variant's product is checked first: 256 random entries against float64 dot products.
 *
 *   node build/bench/gpu/gemm-sweep.js [--quick] [--tiles 8x8x16,4x8x16]
 */
import { initDevice, matmul, tensor, backendFor, setDefaultDevice } from '../../src/index.js';
import type { WebGpuBackend } from '../../src/backend/webgpu/index.js';
import { matmulTiles, tileStorageBytes, type Tile } from '../../src/backend/webgpu/kernels/matmul.js';
import { TRANS, gemmSize, randomF32, round, tflops, timePipelined } from './common.js';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const tilesArg = argv.indexOf('--tiles') >= 0 ? argv[argv.indexOf('--tiles') + 1]! : '8x8x16,4x8x16,8x4x16,8x16x16,16x8x16,8x8x8,4x4x16,8x8x32';
const variants: Tile[] = tilesArg.split(',').map((s) => {
  const m = /^(\d+)x(\d+)x(\d+)$/.exec(s.trim());
  if (!m) {
    console.error(`gemm-sweep: bad --tiles entry '${s}'; expected TMxTNxBK, e.g. 8x8x16`);
    process.exit(2);
  }
  return { tm: Number(m[1]), tn: Number(m[2]), bk: Number(m[3]) };
});

const info = await initDevice('webgpu');
setDefaultDevice('cpu');
const gpu = backendFor('webgpu') as unknown as WebGpuBackend;
const n = gemmSize(quick);
const ha = randomF32(n * n, 1), hb = randomF32(n * n, 2);
const a = tensor(ha, { shape: [n, n], device: 'webgpu' }), b = tensor(hb, { shape: [n, n], device: 'webgpu' });
const limit = gpu.info.maxComputeWorkgroupStorageSize;
console.log(`GEMM ${n} tile sweep on ${info.description} (workgroup memory limit ${limit} bytes)`);
console.log('| tile (tm×tn×bk) | NN TFLOPS | TN TFLOPS | NT TFLOPS | max rel. error |');
console.log('|---|---:|---:|---:|---:|');
const defaultLarge = { ...matmulTiles.large };
for (const tile of variants) {
  const cells: string[] = [];
  let worst = 0;
  for (const trans of TRANS) {
    const transA = trans === 'TN', transB = trans === 'NT';
    if ((tile.tm * tile.bk) % 16 !== 0 || (tile.tn * tile.bk) % 16 !== 0 || tileStorageBytes(tile, transA, transB) > limit) { cells.push('n/a'); continue; }
    matmulTiles.large = tile; matmulTiles.small = tile; // every size takes the variant, the quick one too
    try {
      const c = matmul(a, b, { transA, transB });
      const host = await c.dataAsync() as Float32Array;
      // 256 entries against float64: A[i,:]·B[:,j] with the transposes read from the host copies
      for (let s = 0; s < 256; s++) {
        const i = (s * 2654435761) % n, j = (s * 40503 + 17) % n;
        let ref = 0, mag = 0;
        for (let k = 0; k < n; k++) {
          const x = transA ? ha[k * n + i]! : ha[i * n + k]!, y = transB ? hb[j * n + k]! : hb[k * n + j]!;
          ref += x * y; mag += Math.abs(x * y);
        }
        worst = Math.max(worst, Math.abs(host[i * n + j]! - ref) / (mag || 1));
      }
      const ms = await timePipelined(() => matmul(a, b, { transA, transB }), () => gpu.sync(), quick ? { steps: 2, runs: 1 } : { steps: 10, runs: 5 });
      cells.push(String(tflops(n, ms)));
    } catch (e) {
      cells.push(`error: ${(e as Error).message.split('\n')[0]!.replace(/\|/g, '/')}`);
    }
  }
  console.log(`| ${tile.tm}×${tile.tn}×${tile.bk}${tile.tm === defaultLarge.tm && tile.tn === defaultLarge.tn && tile.bk === defaultLarge.bk ? ' (default)' : ''} | ${cells.join(' | ')} | ${worst === 0 ? '0' : round(worst, 9)} |`);
}
process.exit(0);
