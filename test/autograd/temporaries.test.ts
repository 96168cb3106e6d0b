/**
 * Backward gives its temporaries back early on devices that can release storage (the GPU). Here
 * the CPU backend is made such a device for the length of a test: every storage it allocates is
 * recorded, and a released one is poisoned with NaN, so a gradient, hook argument or result that
 * still used a released buffer would come out NaN. Each case runs twice, as is and on the
 * poisoning backend, and must give the same numbers, while buffers were in fact released.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { autogradGrad, backendFor, nn, optim, tensor, type Tensor } from '../../src/index.js';
import type { Backend, Storage } from '../../src/backend/backend.js';

interface Poisoning { released: number; restore(): void }

function poisonReleases(): Poisoning {
  const b = backendFor('cpu') as Backend<Storage> & Record<string, unknown>;
  const own = (k: string): PropertyDescriptor | undefined => Object.getOwnPropertyDescriptor(b, k);
  const saved = { alloc: own('alloc'), upload: own('upload'), release: own('release'), recordAllocations: own('recordAllocations') };
  const alloc = b.alloc.bind(b), upload = b.upload.bind(b);
  let sink: ((x: Storage) => void) | null = null;
  const state = { released: 0 };
  Object.assign(b, {
    alloc: (...a: Parameters<typeof alloc>) => { const s = alloc(...a); sink?.(s); return s; },
    upload: (...a: Parameters<typeof upload>) => { const s = upload(...a); sink?.(s); return s; },
    release: (s: Storage) => { state.released++; if (s instanceof Float32Array || s instanceof Float64Array) s.fill(NaN); },
    recordAllocations: (next: ((x: Storage) => void) | null) => { const outer = sink; sink = next; return () => { sink = outer; }; },
  });
  return {
    get released() { return state.released; },
    restore() {
      for (const [k, d] of Object.entries(saved)) {
        if (d) Object.defineProperty(b, k, d);
        else delete b[k];
      }
    },
  };
}

/** Runs `fn` as is, then on the poisoning backend; returns both results and the releases. */
function twice(fn: () => number[][]): { plain: number[][]; poisoned: number[][]; released: number } {
  const plain = fn();
  const p = poisonReleases();
  try {
    const poisoned = fn();
    return { plain, poisoned, released: p.released };
  } finally {
    p.restore();
  }
}

const arr = (t: Tensor | null): number[] => Array.from(t!.data);

test('training steps: the gradients and updates match while backward releases its temporaries and zeroGrad the old gradients', () => {
  const r = twice(() => {
    const model = new nn.Sequential(new nn.Linear(3, 5), new nn.Sigmoid(), new nn.Linear(5, 2));
    model.parameters().forEach((p, i) => p.data.forEach((_, j) => { p.data[j] = Math.sin(7 * i + j); }));
    const opt = new optim.SGD(model.parameters(), { lr: 0.5, momentum: 0.9 });
    const x = tensor([[0.1, -0.2, 0.3], [0.5, 0.4, -0.6]]), y = tensor([1, 0], { dtype: 'int32' });
    const out: number[][] = [];
    for (let s = 0; s < 3; s++) {
      opt.zeroGrad();
      nn.F.crossEntropy(model.forward(x), y).backward();
      optim.clipGradNorm(model.parameters(), 0.5);
      opt.step();
    }
    for (const p of model.parameters()) out.push(arr(p));
    return out;
  });
  assert.deepEqual(r.poisoned, r.plain);
  assert.ok(r.released > 10, `only ${r.released} buffers released`);
});

test('two leaves whose gradients share one buffer: clearing one leaves the other intact', () => {
  const r = twice(() => {
    const out: number[][] = [];
    for (const clearFirst of [true, false]) {
      const x = tensor([1, 2], { requiresGrad: true }), y = tensor([3, 4], { requiresGrad: true });
      x.add(y).mul(3).sum().backward(); // add's rule hands the same gradient to both
      const [cleared, other] = clearFirst ? [x, y] : [y, x];
      cleared.zeroGrad();
      out.push(arr(other.grad));
      x.add(y).mul(2).sum().backward();
      out.push(arr(x.grad), arr(y.grad));
    }
    return out;
  });
  assert.deepEqual(r.poisoned, r.plain);
  assert.deepEqual(r.plain, [[3, 3], [2, 2], [5, 5], [3, 3], [5, 5], [2, 2]]);
});

test('what user code was given stays intact: hook arguments, what hooks made, retained and returned gradients', () => {
  const r = twice(() => {
    const w = tensor([0.5, -1, 2], { requiresGrad: true });
    const h = w.mul(w).exp();
    h.retainGrad();
    const stash: Tensor[] = [];
    h.registerHook((g) => { stash.push(g, g.mul(2)); });
    h.sin().sum().backward();
    const [dw] = autogradGrad(w.mul(w).tanh().sum(), [w]);
    const held = w.grad!; // read by the user: zeroGrad must not give it back
    w.zeroGrad();
    return [...stash.map(arr), arr(h.grad), arr(dw!), arr(held)];
  });
  assert.deepEqual(r.poisoned, r.plain);
  assert.ok(r.released > 0);
  for (const row of r.plain) for (const v of row) assert.ok(Number.isFinite(v));
});

test('accumulating gradients over two backward calls, and a double backward, give the same numbers', () => {
  const r = twice(() => {
    const w = tensor([0.3, -0.7], { requiresGrad: true });
    w.mul(w).sum().backward();
    w.exp().sum().backward();
    const acc = arr(w.grad);
    w.zeroGrad();
    const [g] = autogradGrad(w.pow(3).sum(), [w], { createGraph: true });
    g!.sum().backward(); // d/dw Σ 3w² = 6w
    return [acc, arr(w.grad)];
  });
  assert.deepEqual(r.poisoned, r.plain);
});
