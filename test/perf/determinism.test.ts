/**
 * Training is bitwise reproducible: the same seed, backend and thread count give the same
 * weights, byte for byte. Covers the reference JS backend and the wasm backend with 1 and 2
 * threads; the matmuls are sized above the wasm GEMM's threading threshold (~768K
 * multiply-adds) so the 2-thread runs really split work between threads.
 */
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Generator, data, getBackend, nn, optim, randint, randn, setBackend, type Tensor } from '../../src/index.js';
import { getNumThreads, setNumThreads, wasmAvailable, wasmInfo } from '../../src/backend/wasm/index.js';

const STEPS = 32;

/** What one training run leaves behind: every parameter's bytes, before and after. */
interface Run {
  initial: Float32Array[];
  final: Float32Array[];
  losses: number[];
}

const snapshot = (ps: Tensor[]): Float32Array[] => ps.map((p) => Float32Array.from(p.data as Float32Array));

/** A user's training loop over a shuffled loader whose order comes from `seed`. */
function train(model: nn.Module, x: Tensor, y: Tensor, batchSize: number, seed: number, opt: optim.Optimizer): Run {
  const loader = new data.DataLoader(new data.TensorDataset(x, y), { batchSize, shuffle: true, generator: new Generator(seed + 1) });
  const initial = snapshot(model.parameters());
  const losses: number[] = [];
  while (losses.length < STEPS) {
    for (const [xb, yb] of loader) {
      opt.zeroGrad();
      const loss = nn.functional.crossEntropy(model.forward(xb), yb);
      loss.backward();
      opt.step();
      losses.push(loss.item());
      if (losses.length === STEPS) break;
    }
  }
  return { initial, final: snapshot(model.parameters()), losses };
}

/**
 * MLP 256-256-256-10, batch 64: the forward [64, 256]·[256, 256]ᵀ and both backward products
 * of the hidden layer are 64·256·256 ≈ 1.05M multiply-adds each. Adam, so the update path
 * (sqrt, division) is covered too.
 */
function trainMlp(seed: number): Run {
  const g = new Generator(seed);
  const x = randn([256, 256], { generator: g });
  const y = randint(0, 10, [256], { generator: g });
  const model = new nn.Sequential(
    new nn.Linear(256, 256, { generator: g }), new nn.Tanh(),
    new nn.Linear(256, 256, { generator: g }), new nn.ReLU(),
    new nn.Linear(256, 10, { generator: g }),
  );
  return train(model, x, y, 64, seed, new optim.Adam(model.parameters(), { lr: 1e-3 }));
}

/**
 * Tiny conv net on [16, 3, 16, 16]: conv 3→16 3×3 pad 1 (16·16·256·27 ≈ 1.8M multiply-adds),
 * conv 16→16 3×3 pad 1 (≈ 9.4M), max-pool, dense 1024→10; SGD with momentum.
 */
function trainConv(seed: number): Run {
  const g = new Generator(seed);
  const x = randn([64, 3, 16, 16], { generator: g });
  const y = randint(0, 10, [64], { generator: g });
  const model = new nn.Sequential(
    new nn.Conv2d(3, 16, 3, { padding: 1, generator: g }), new nn.ReLU(),
    new nn.Conv2d(16, 16, 3, { padding: 1, generator: g }), new nn.ReLU(),
    new nn.MaxPool2d(2), new nn.Flatten(),
    new nn.Linear(16 * 8 * 8, 10, { generator: g }),
  );
  return train(model, x, y, 16, seed, new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 }));
}

function bytes(a: Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** Byte equality of every parameter; on failure names the parameter, index and both values. */
function assertSameBytes(a: Float32Array[], b: Float32Array[], what: string): void {
  assert.equal(a.length, b.length, `${what}: parameter count`);
  for (let p = 0; p < a.length; p++) {
    if (bytes(a[p]!).equals(bytes(b[p]!))) continue;
    let i = 0;
    while (i < a[p]!.length && Object.is(a[p]![i], b[p]![i])) i++;
    assert.fail(`${what}: parameter ${p} first differs at index ${i}: ${a[p]![i]} vs ${b[p]![i]}`);
  }
}

/** The two runs trained (weights moved, loss finite) and ended byte-identical. */
function assertReproducible(first: Run, second: Run, what: string): void {
  assert.equal(first.losses.length, STEPS);
  assert.ok(first.losses.every(Number.isFinite), `${what}: non-finite loss ${first.losses.join(', ')}`);
  assert.ok(first.final.some((w, i) => !bytes(w).equals(bytes(first.initial[i]!))), `${what}: training did not change any weight`);
  assertSameBytes(first.initial, second.initial, `${what}, initial weights`);
  assertSameBytes(first.final, second.final, `${what}, weights after ${STEPS} steps`);
  assert.deepEqual(second.losses, first.losses, `${what}: loss sequence`);
}

const previousBackend = getBackend().name;
const wasmSkip = wasmAvailable() ? false : 'wasm SIMD unavailable';
const previousThreads = wasmAvailable() ? getNumThreads() : 1;
after(() => {
  setBackend(previousBackend);
  if (wasmAvailable()) setNumThreads(previousThreads);
});

const models = { 'MLP': trainMlp, 'conv net': trainConv } as const;

for (const [name, run] of Object.entries(models)) {
  test(`${name}: js backend, same seed → identical weights`, () => {
    setBackend('js');
    assertReproducible(run(11), run(11), `${name} js`);
  });

  for (const threads of [1, 2]) {
    test(`${name}: wasm backend with ${threads} thread(s), same seed → identical weights`, { skip: wasmSkip }, (t) => {
      setBackend('wasm');
      setNumThreads(threads);
      if (threads > 1 && !wasmInfo().shared) {
        t.skip('no shared wasm memory here, so the GEMM runs single-threaded');
        return;
      }
      assert.equal(getNumThreads(), threads);
      assertReproducible(run(11), run(11), `${name} wasm ${threads} thread(s)`);
    });
  }
}

// The wasm backend documents that its results do not depend on the thread count either.
for (const [name, run] of Object.entries(models)) {
  test(`${name}: wasm backend, 1 and 2 threads → identical weights`, { skip: wasmSkip }, (t) => {
    setBackend('wasm');
    if (!wasmInfo().shared) {
      t.skip('no shared wasm memory here, so the GEMM runs single-threaded');
      return;
    }
    setNumThreads(1);
    const one = run(11);
    setNumThreads(2);
    assertReproducible(one, run(11), `${name} wasm 1 vs 2 threads`);
  });
}

test('wasm backend: training runs started together (worker threads waking late) end with identical weights', { skip: wasmSkip }, async (t) => {
  if (!wasmInfo().shared) {
    t.skip('no shared wasm memory here, so nothing runs on worker threads');
    return;
  }
  // A worker that woke after a parallel job had ended once cleared its attention scratch anyway,
  // corrupting the operands of the matmul that followed: only under load, so run several at once.
  const child = fileURLToPath(new URL('../helpers/gpt-train-hash.js', import.meta.url));
  const run = (): Promise<string> => new Promise((resolve, reject) => {
    execFile(process.execPath, [child, '24'], { timeout: 240_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout.trim())));
  });
  const hashes = await Promise.all([run(), run(), run(), run()]);
  assert.match(hashes[0]!, /^[0-9a-f]{64}$/);
  assert.deepEqual(hashes, hashes.map(() => hashes[0]), `weights differ between runs: ${hashes.join(' ')}`);
});
