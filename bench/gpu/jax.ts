/**
 * jax-js with its webgpu device (Dawn's navigator.gpu in Node), every step under jit: the
 * workloads of bench/gpu/common.ts. `.ref` and dispose as jax-js requires.
 */
import { blockUntilReady, defaultDevice, init, jit, lax, nn, numpy as np, tree, valueAndGrad } from '@jax-js/jax';
import {
  TRANS, gemmSize, glorot, installNavigatorGpu, lenetBatch, LENET_LR, mlpSpecs, parseGpuArgs, randomF32, randomLabels, round, runGpuChild, tflops, timePipelined,
  type GpuGemmEntry, type GpuLenetEntry, type GpuMlpEntry, type GpuResult,
} from './common.js';

type Arr = np.Array;
const args = parseGpuArgs();
const arr = (data: Float32Array, shape: number[]): Arr => np.array(data).reshape(shape);

function oneHot(labels: Int32Array, classes: number): Arr {
  const out = new Float32Array(labels.length * classes);
  labels.forEach((l, i) => { out[i * classes + l] = 1; });
  return arr(out, [labels.length, classes]);
}

const xent = (logits: Arr, onehot: Arr, batch: number): Arr => nn.logSoftmax(logits, -1).mul(onehot).sum().mul(-1 / batch);

type Params = Record<string, Arr>;

async function trainAndTime(params0: Params, loss: (p: Params, x: Arr, y: Arr) => Arr, x: Arr, y: Arr, lr: number, quick: boolean): Promise<{ losses: number[]; stepMs: number; fwdMs: number }> {
  let params = params0;
  const fwdFn = jit(loss);
  const stepFn = jit((p: Params, xb: Arr, yb: Arr): [Arr, Params] => {
    const [l, g] = valueAndGrad(loss)(tree.ref(p), xb, yb);
    return [l, tree.map((pi: Arr, gi: Arr) => pi.sub(gi.mul(lr)), p, g) as Params];
  });
  const losses: number[] = [];
  for (let i = 0; i < 2; i++) {
    const [l, next] = stepFn(params, x.ref, y.ref);
    losses.push(round((await l.data())[0]!, 4));
    params = next;
  }
  const opts = quick ? { steps: 3, runs: 1 } : { steps: 20, runs: 5 };
  const pending: Arr[] = [];
  const wait = async (l: Arr): Promise<void> => { await l.blockUntilReady(); pending.forEach((t) => t.dispose()); pending.length = 0; };
  const fwdMs = await timePipelined(() => { const l = fwdFn(tree.ref(params), x.ref, y.ref); pending.push(l); return l; }, wait, opts);
  const stepMs = await timePipelined(() => {
    const [l, next] = stepFn(params, x.ref, y.ref);
    params = next;
    pending.push(l);
    return l;
  }, wait, opts);
  tree.dispose(params);
  return { losses, stepMs, fwdMs };
}

async function benchMlp(quick: boolean): Promise<GpuMlpEntry[]> {
  const out: GpuMlpEntry[] = [];
  for (const spec of mlpSpecs(quick)) {
    const [d0, d1, d2, d3] = spec.sizes, B = spec.batch;
    const params: Params = {
      w1: arr(glorot(d0, d1, d0 * d1, 11), [d0, d1]), b1: np.zeros([d1]), w2: arr(glorot(d1, d2, d1 * d2, 12), [d1, d2]), b2: np.zeros([d2]),
      w3: arr(glorot(d2, d3, d2 * d3, 13), [d2, d3]), b3: np.zeros([d3]),
    };
    const x = arr(randomF32(B * d0, 21), [B, d0]), y = oneHot(randomLabels(B, d3, 22), d3);
    await blockUntilReady([params, x, y]);
    const loss = (p: Params, xb: Arr, yb: Arr): Arr => {
      const h1 = nn.sigmoid(np.matmul(xb, p.w1!).add(p.b1!));
      const h2 = nn.sigmoid(np.matmul(h1, p.w2!).add(p.b2!));
      return xent(np.matmul(h2, p.w3!).add(p.b3!), yb, B);
    };
    const m = await trainAndTime(params, loss, x, y, spec.lr, quick);
    out.push({ name: spec.name, batch: B, fwdMs: round(m.fwdMs, 3), stepMs: round(m.stepMs, 3), samplesPerSec: round(B / (m.stepMs / 1000), 0), stepOverFwd: round(m.stepMs / m.fwdMs, 2), losses: m.losses });
  }
  return out;
}

async function benchGemm(quick: boolean): Promise<GpuGemmEntry[]> {
  const n = gemmSize(quick);
  const a = arr(randomF32(n * n, 1), [n, n]), b = arr(randomF32(n * n, 2), [n, n]);
  await blockUntilReady([a, b]);
  const fns = {
    NN: jit((p: Arr, q: Arr) => np.matmul(p, q)),
    TN: jit((p: Arr, q: Arr) => np.matmul(p.transpose(), q)),
    NT: jit((p: Arr, q: Arr) => np.matmul(p, q.transpose())),
  };
  const out: GpuGemmEntry[] = [];
  for (const trans of TRANS) {
    const pending: Arr[] = [];
    const ms = await timePipelined(() => { const c = fns[trans](a.ref, b.ref); pending.push(c); return c; },
      async (c) => { await c.blockUntilReady(); pending.forEach((t) => t.dispose()); pending.length = 0; },
      quick ? { steps: 2, runs: 1 } : { steps: 10, runs: 5 });
    out.push({ n, trans, ms: round(ms, 3), tflops: tflops(n, ms) });
  }
  return out;
}

function maxPool2(h: Arr): Arr {
  const [n, c, hh, ww] = h.shape as [number, number, number, number];
  return h.reshape([n, c, hh / 2, 2, ww / 2, 2]).max([3, 5]);
}

async function benchLenet(quick: boolean): Promise<GpuLenetEntry> {
  const B = lenetBatch(quick);
  const params: Params = {
    c1w: arr(glorot(25, 150, 150, 31), [6, 1, 5, 5]), c1b: np.zeros([6]), c2w: arr(glorot(150, 400, 2400, 32), [16, 6, 5, 5]), c2b: np.zeros([16]),
    f1w: arr(glorot(400, 120, 48000, 33), [400, 120]), f1b: np.zeros([120]), f2w: arr(glorot(120, 84, 10080, 34), [120, 84]), f2b: np.zeros([84]),
    f3w: arr(glorot(84, 10, 840, 35), [84, 10]), f3b: np.zeros([10]),
  };
  const x = arr(randomF32(B * 784, 41), [B, 1, 28, 28]), y = oneHot(randomLabels(B, 10, 42), 10);
  await blockUntilReady([params, x, y]);
  const loss = (p: Params, xb: Arr, yb: Arr): Arr => {
    let h = lax.convGeneralDilated(xb, p.c1w!, [1, 1], [[2, 2], [2, 2]]).add(p.c1b!.reshape([1, 6, 1, 1]));
    h = maxPool2(nn.relu(h));
    h = lax.convGeneralDilated(h, p.c2w!, [1, 1], 'VALID').add(p.c2b!.reshape([1, 16, 1, 1]));
    h = maxPool2(nn.relu(h));
    const z1 = nn.relu(np.matmul(h.reshape([B, 400]), p.f1w!).add(p.f1b!));
    const z2 = nn.relu(np.matmul(z1, p.f2w!).add(p.f2b!));
    return xent(np.matmul(z2, p.f3w!).add(p.f3b!), yb, B);
  };
  const m = await trainAndTime(params, loss, x, y, LENET_LR, quick);
  return { batch: B, stepMs: round(m.stepMs, 3), samplesPerSec: round(B / (m.stepMs / 1000), 0), losses: m.losses };
}

runGpuChild('jax-webgpu', args.what, async (): Promise<GpuResult> => {
  await installNavigatorGpu();
  const devices = await init('webgpu');
  if (!devices.includes('webgpu')) throw new Error(`jax-js webgpu device unavailable (got ${devices.join(',')})`);
  defaultDevice('webgpu');
  const r: GpuResult = { lib: 'jax-webgpu', what: args.what, config: '@jax-js/jax webgpu device, jit', adapter: '' };
  if (args.what === 'mlp') r.mlp = await benchMlp(args.quick);
  else if (args.what === 'gemm') r.gemm = await benchGemm(args.quick);
  else r.lenet = await benchLenet(args.quick);
  return r;
});
