import test from 'node:test';
import assert from 'node:assert/strict';
import { HostPool } from '../../../src/backend/wasm/host-pool.js';
import type { Backend, Storage } from '../../../src/backend/backend.js';
import { backendFor, Generator, nn, optim, tensor } from '../../../src/index.js';

test('HostPool: a given-back array returns zeroed, for the same dtype and length only', () => {
  const pool = new HostPool();
  const a = new Float32Array(4096).fill(3);
  pool.give(a);
  assert.equal(pool.pooledBytes, 4096 * 4);
  assert.equal(pool.take('float32', 4095), null, 'another length');
  assert.equal(pool.take('float64', 4096), null, 'another dtype');
  assert.equal(pool.take('int32', 4096), null, 'another dtype');
  const b = pool.take('float32', 4096);
  assert.equal(b, a);
  assert.ok(b!.every((v) => v === 0), 'zeroed');
  assert.equal(pool.pooledBytes, 0);
  assert.equal(pool.take('float32', 4096), null, 'taken once');
  const i = new Int32Array(2048).fill(-1);
  pool.give(i);
  assert.equal(pool.take('int32', 2048), i);
});

test('HostPool: refuses views, small arrays, shared memory and a second give of the same array', () => {
  const pool = new HostPool();
  const big = new Float32Array(8192);
  pool.give(big.subarray(0, 4096));
  pool.give(big.subarray(4096));
  pool.give(new Float32Array(16));
  pool.give(new Float32Array(new SharedArrayBuffer(4096 * 4)));
  assert.equal(pool.pooledBytes, 0);
  const a = new Float64Array(2048);
  pool.give(a);
  pool.give(a);
  assert.equal(pool.pooledBytes, 2048 * 8);
  assert.equal(pool.take('float64', 2048), a);
  assert.equal(pool.take('float64', 2048), null, 'given twice, pooled once');
});

test('HostPool: holds at most 256 MiB; beyond that given-back arrays are left to the collector', () => {
  const pool = new HostPool();
  const n = (64 << 20) / 4;
  for (let i = 0; i < 5; i++) pool.give(new Float32Array(n));
  assert.equal(pool.pooledBytes, 256 << 20);
});

test('wasm (and native) backend: training steps reuse the arrays backward gave back, with the same results as without reuse', { skip: !['wasm', 'native'].includes(backendFor('cpu').name) && 'the CPU backend is neither wasm nor native (which inherits its pool)' }, () => {
  const b = backendFor('cpu') as Backend<Storage> & Record<string, unknown>;
  const run = (reuse: boolean): { losses: number[]; weights: number[]; reused: number } => {
    const alloc = b.alloc.bind(b), release = b.release!.bind(b);
    const seen = new Set<Storage>();
    let reused = 0;
    Object.assign(b, {
      alloc: (...a: Parameters<typeof alloc>) => { const s = alloc(...a); if (seen.has(s)) reused++; seen.add(s); return s; },
      release: (s: Storage) => { if (reuse) release(s); },
    });
    try {
      const model = new nn.Sequential(new nn.Linear(64, 128, { generator: new Generator(1) }), new nn.GELU(), new nn.Linear(128, 10, { generator: new Generator(2) }));
      const opt = new optim.AdamW(model.parameters(), { lr: 1e-2 });
      const x = tensor(Array.from({ length: 32 }, (_, i) => Array.from({ length: 64 }, (_, j) => Math.sin(i * 64 + j))));
      const y = tensor(Array.from({ length: 32 }, (_, i) => i % 10), { dtype: 'int32' });
      const losses: number[] = [];
      for (let step = 0; step < 4; step++) {
        opt.zeroGrad();
        const loss = nn.functional.crossEntropy(model.forward(x), y);
        loss.backward();
        opt.step();
        losses.push(loss.item());
      }
      return { losses, weights: model.parameters().flatMap((p) => Array.from(p.data)), reused };
    } finally {
      // the backend's own methods (on its prototype) show through again
      const own = b as Record<string, unknown>;
      delete own.alloc;
      delete own.release;
    }
  };
  const fresh = run(false), pooled = run(true);
  assert.equal(fresh.reused, 0);
  assert.ok(pooled.reused > 0, 'backward arrays were reused');
  assert.deepEqual(pooled.losses, fresh.losses);
  assert.deepEqual(pooled.weights, fresh.weights);
  assert.ok(pooled.losses[3]! < pooled.losses[0]!, `loss falls: ${pooled.losses.join(', ')}`);
});
