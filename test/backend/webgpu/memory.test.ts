/**
 * GPU memory without dispose: buffers whose JS owner became unreachable return to the pool via
 * the FinalizationRegistry, the pool stays under its limit, and release() frees at once.
 * Garbage collection is forced here (--expose-gc set at runtime) so the test does not wait for
 * V8's own schedule.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { nodeGpu } from './gpu-available.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const env = await nodeGpu();
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('webgpu memory', { skip: env.skip || false }, () => {
  after(() => env.gpu?.runtime.destroy());

  it('returns the buffers of unreachable storages to the pool', async () => {
    const gpu = env.gpu!;
    await gpu.sync();
    const before = gpu.memoryStats();
    (() => {
      for (let i = 0; i < 64; i++) gpu.unary('exp', gpu.upload(new Float32Array(1000)), gpu.alloc('float32', 1000));
    })();
    assert.ok(gpu.memoryStats().liveBytes > before.liveBytes, 'allocations count as live');
    for (let i = 0; i < 10 && gpu.memoryStats().liveBytes > before.liveBytes; i++) { gc(); await turn(); }
    const now = gpu.memoryStats();
    assert.equal(now.liveBytes, before.liveBytes, `live bytes back to ${before.liveBytes}: ${JSON.stringify(now)}`);
    assert.ok(now.pooledBuffers > before.pooledBuffers, 'the freed buffers wait in the pool');
    // and they are reused: allocating the same sizes again creates nothing new
    const pooled = now.pooledBytes;
    const keep = Array.from({ length: 8 }, () => gpu.alloc('float32', 1000));
    assert.equal(gpu.memoryStats().pooledBytes, pooled - 8 * 4096);
    keep.forEach((b) => gpu.release(b));
  });

  it('keeps the pool under its limit, destroying the oldest free buffers', async () => {
    const gpu = env.gpu!;
    gpu.runtime.setPoolLimit(64 * 1024);
    const bufs = Array.from({ length: 40 }, () => gpu.alloc('float32', 1024));
    bufs.forEach((b) => gpu.release(b));
    const m = gpu.memoryStats();
    assert.ok(m.pooledBytes <= 64 * 1024, `pooled ${m.pooledBytes} over the 64 KiB limit`);
    await gpu.sync();
    gpu.runtime.setPoolLimit(256 * 2 ** 20);
  });

  it('refuses a released buffer', async () => {
    const gpu = env.gpu!;
    const x = gpu.upload(new Float32Array([1, 2, 3]));
    gpu.release(x);
    assert.throws(() => gpu.unary('neg', x, gpu.alloc('float32', 3)), /after it was released/);
    await assert.rejects(gpu.read(x), /released/);
  });
});
