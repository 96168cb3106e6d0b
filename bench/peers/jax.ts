/**
 * jax-js peer: `--peer jax-wasm` (jax-js WebAssembly device, every measured
 * function wrapped in `jit`).
 *
 *   node build/bench/peers/jax.js --peer jax-wasm --what gemm|mlp|lenet [--quick]
 *
 * Prints one JSON line (see bench/common.ts).
 *
 * Notes:
 *  - `init('wasm')` must name the device: a bare `init()` also probes WebGPU
 *    through `navigator.gpu`, and Node 20 has no `navigator`.
 *  - jax-js's wasm worker pool needs a global Web `Worker` (plus
 *    SharedArrayBuffer); Node 20 has no global `Worker`, so kernels run on the
 *    main thread (single-threaded), same as tfjs-wasm under Node.
 *  - jax-js arrays are reference counted and every function consumes its
 *    arguments, hence the `.ref` / `tree.ref` on re-used inputs.
 *  - Completion is forced with `blockUntilReady()`.
 */
import {
  blockUntilReady, defaultDevice, init, jit, lax, nn, numpy as np, tree, valueAndGrad,
} from '@jax-js/jax';
import {
  GEMM_SIZES, GPT, LENET, MLP, TRANS, gemmEntry, gemmOpts, glorot, gptResult, inputsAndTargets, lenetResult, maxRssMB, oneHotF32, parseArgs,
  randomF32, randomLabels, randomTokens, rng, round, runChild, stepOpts, timeIt,
  type Args, type GemmEntry, type GptResult, type GroupResult, type LenetResult, type MlpResult, type TimeOpts, type Timing, mlpResult,
} from '../common.js';

type Arr = np.Array;
const args: Args = parseArgs();

function arr(data: Float32Array, shape: number[]): Arr {
  return np.array(data).reshape(shape);
}

async function setup(peer: string): Promise<string> {
  if (peer !== 'jax-wasm') throw new Error(`unknown jax-js peer "${peer}"`);
  const devices = await init('wasm');
  if (!devices.includes('wasm')) throw new Error(`jax-js wasm device unavailable (got ${devices.join(',')})`);
  defaultDevice('wasm');
  const threaded = typeof SharedArrayBuffer !== 'undefined' && typeof (globalThis as { Worker?: unknown }).Worker !== 'undefined';
  return `@jax-js/jax wasm device, jit, ${threaded ? 'worker pool' : 'single thread (no global Worker in Node)'}`;
}

async function benchGemm(quick: boolean): Promise<GemmEntry[]> {
  const out: GemmEntry[] = [];
  const fns = {
    NN: jit((a: Arr, b: Arr) => np.matmul(a, b)),
    TN: jit((a: Arr, b: Arr) => np.matmul(a.transpose(), b)),
    NT: jit((a: Arr, b: Arr) => np.matmul(a, b.transpose())),
  };
  for (const n of GEMM_SIZES) {
    const a = arr(randomF32(n * n, 1), [n, n]);
    const b = arr(randomF32(n * n, 2), [n, n]);
    await blockUntilReady([a, b]);
    for (const trans of TRANS) {
      const f = fns[trans];
      const t = await timeIt(async () => {
        const c = f(a.ref, b.ref);
        await c.blockUntilReady();
        c.dispose();
      }, gemmOpts(quick));
      out.push(gemmEntry(n, trans, t));
    }
    a.dispose();
    b.dispose();
  }
  return out;
}

/** Mean softmax cross-entropy of logits [B,K] against one-hot labels [B,K]. */
function softmaxXent(logits: Arr, onehot: Arr, batch: number): Arr {
  return nn.logSoftmax(logits, -1).mul(onehot).sum().mul(-1 / batch);
}

/**
 * Two SGD steps from the shared init, whose losses are the cross-library sanity check, then the
 * timed steps that follow them; `stepFn` consumes the parameters and returns the next ones, and
 * the last ones are freed here.
 */
async function trainAndTime<P>(
  stepFn: (p: P, x: Arr, y: Arr) => [Arr, P], params: P, x: Arr, y: Arr, opts: TimeOpts,
): Promise<{ sanity: number[]; step: Timing }> {
  const sanity: number[] = [];
  for (let i = 0; i < 2; i++) {
    const [l, next] = stepFn(params, x.ref, y.ref);
    sanity.push(round((await l.data())[0]!, 4)); // data() consumes l
    params = next;
  }
  const step = await timeIt(async () => {
    const [l, next] = stepFn(params, x.ref, y.ref);
    await blockUntilReady([l, next]);
    l.dispose();
    params = next;
  }, opts);
  tree.dispose(params);
  return { sanity, step };
}

type MlpParams = { w1: Arr; b1: Arr; w2: Arr; b2: Arr; w3: Arr; b3: Arr };

async function benchMlp(quick: boolean): Promise<MlpResult> {
  const [d0, d1, d2, d3] = MLP.sizes;
  const B = MLP.batch;
  const params: MlpParams = {
    w1: arr(glorot(d0, d1, d0 * d1, 11), [d0, d1]), b1: np.zeros([d1]),
    w2: arr(glorot(d1, d2, d1 * d2, 12), [d1, d2]), b2: np.zeros([d2]),
    w3: arr(glorot(d2, d3, d2 * d3, 13), [d2, d3]), b3: np.zeros([d3]),
  };
  const x = arr(randomF32(B * d0, 21), [B, d0]);
  const y = arr(oneHotF32(randomLabels(B, d3, 22), d3), [B, d3]);
  await blockUntilReady([params, x, y]);

  const loss = (p: MlpParams, xb: Arr, yb: Arr): Arr => {
    const h1 = nn.sigmoid(np.matmul(xb, p.w1).add(p.b1));
    const h2 = nn.sigmoid(np.matmul(h1, p.w2).add(p.b2));
    const logits = np.matmul(h2, p.w3).add(p.b3);
    return softmaxXent(logits, yb, B);
  };
  const fwdFn = jit(loss);
  const fwdBwdFn = jit(valueAndGrad(loss));
  const stepFn = jit((p: MlpParams, xb: Arr, yb: Arr): [Arr, MlpParams] => {
    const [l, g] = valueAndGrad(loss)(tree.ref(p), xb, yb);
    const next = tree.map((pi: Arr, gi: Arr) => pi.sub(gi.mul(MLP.lr)), p, g) as MlpParams;
    return [l, next];
  });
  const opts = stepOpts(quick);

  const fwd = await timeIt(async () => {
    const l = fwdFn(tree.ref(params), x.ref, y.ref);
    await l.blockUntilReady();
    l.dispose();
  }, opts);

  const fwdBwd = await timeIt(async () => {
    const out = fwdBwdFn(tree.ref(params), x.ref, y.ref);
    await blockUntilReady(out);
    tree.dispose(out);
  }, opts);

  const { sanity, step } = await trainAndTime(stepFn, params, x, y, opts);
  return mlpResult(B, fwd, fwdBwd, step, sanity);
}

type LenetParams = {
  c1w: Arr; c1b: Arr; c2w: Arr; c2b: Arr;
  f1w: Arr; f1b: Arr; f2w: Arr; f2b: Arr; f3w: Arr; f3b: Arr;
};

/** 2×2 max-pool with stride 2 on NCHW via reshape + max (H, W even). */
function maxPool2(h: Arr): Arr {
  const [n, c, hh, ww] = h.shape as [number, number, number, number];
  return h.reshape([n, c, hh / 2, 2, ww / 2, 2]).max([3, 5]);
}

async function benchLenet(quick: boolean): Promise<LenetResult> {
  const B = LENET.batch;
  const params: LenetParams = {
    c1w: arr(glorot(25, 150, 6 * 1 * 25, 31), [6, 1, 5, 5]), c1b: np.zeros([6]),
    c2w: arr(glorot(150, 400, 16 * 6 * 25, 32), [16, 6, 5, 5]), c2b: np.zeros([16]),
    f1w: arr(glorot(400, 120, 400 * 120, 33), [400, 120]), f1b: np.zeros([120]),
    f2w: arr(glorot(120, 84, 120 * 84, 34), [120, 84]), f2b: np.zeros([84]),
    f3w: arr(glorot(84, 10, 84 * 10, 35), [84, 10]), f3b: np.zeros([10]),
  };
  const x = arr(randomF32(B * 28 * 28, 41), [B, 1, 28, 28]);
  const y = arr(oneHotF32(randomLabels(B, LENET.classes, 42), LENET.classes), [B, LENET.classes]);
  await blockUntilReady([params, x, y]);

  const loss = (p: LenetParams, xb: Arr, yb: Arr): Arr => {
    // NCHW input, OIHW kernels.
    let h = lax.convGeneralDilated(xb, p.c1w, [1, 1], [[2, 2], [2, 2]]).add(p.c1b.reshape([1, 6, 1, 1]));
    h = maxPool2(nn.relu(h)); // [B,6,14,14]
    h = lax.convGeneralDilated(h, p.c2w, [1, 1], 'VALID').add(p.c2b.reshape([1, 16, 1, 1]));
    h = maxPool2(nn.relu(h)); // [B,16,5,5]
    const f = h.reshape([B, 400]);
    const z1 = nn.relu(np.matmul(f, p.f1w).add(p.f1b));
    const z2 = nn.relu(np.matmul(z1, p.f2w).add(p.f2b));
    const logits = np.matmul(z2, p.f3w).add(p.f3b);
    return softmaxXent(logits, yb, B);
  };
  const stepFn = jit((p: LenetParams, xb: Arr, yb: Arr): [Arr, LenetParams] => {
    const [l, g] = valueAndGrad(loss)(tree.ref(p), xb, yb);
    const next = tree.map((pi: Arr, gi: Arr) => pi.sub(gi.mul(LENET.lr)), p, g) as LenetParams;
    return [l, next];
  });
  const { sanity, step } = await trainAndTime(stepFn, params, x, y, stepOpts(quick));
  return lenetResult(B, step, sanity);
}

type GptLayer = { ln1: Arr; attn: Arr; proj: Arr; ln2: Arr; fc: Arr; fcProj: Arr };
type GptParams = { wte: Arr; wpe: Arr; layers: GptLayer[]; lnf: Arr };

/** N(0, std²) values from the shared PRNG (Box-Muller), for nanoGPT's init. */
function normalF32(n: number, std: number, seed: number): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = std * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  return out;
}

/** Layer norm over the last axis without bias (nanoGPT's bias=False). */
function layerNorm(x: Arr, w: Arr): Arr {
  const mu = np.mean(x.ref, -1, { keepdims: true });
  const xc = x.sub(mu);
  const v = np.mean(np.square(xc.ref), -1, { keepdims: true });
  return xc.div(np.sqrt(v.add(1e-5))).mul(w);
}

/**
 * The same character GPT in jax-js: weights as [in, out] matrices (x·W), attention through
 * nn.dotProductAttention with isCausal, exact GELU, the whole step (loss, gradients, clipping,
 * AdamW) one jit-compiled function.
 */
async function benchGpt(quick: boolean): Promise<GptResult> {
  const { vocab: V, block: T, layers: L, heads: H, embd: C, batch: B } = GPT;
  const resid = 0.02 / Math.sqrt(2 * L);
  let seed = 61;
  const mat = (rows: number, cols: number, std: number): Arr => arr(normalF32(rows * cols, std, seed++), [rows, cols]);
  let params: GptParams = {
    wte: mat(V, C, 0.02), wpe: mat(T, C, 0.02), lnf: np.ones([C]),
    layers: Array.from({ length: L }, () => ({
      ln1: np.ones([C]), attn: mat(C, 3 * C, 0.02), proj: mat(C, C, resid), ln2: np.ones([C]), fc: mat(C, 4 * C, 0.02), fcProj: mat(4 * C, C, resid),
    })),
  };
  const zerosLike = (p: GptParams): GptParams => tree.map((a: Arr) => np.zeros(a.shape), tree.ref(p)) as GptParams;
  let m = zerosLike(params), v = zerosLike(params);
  const batches = randomTokens(51).map((t) => {
    const [x, y] = inputsAndTargets(t);
    return [np.array(x, { dtype: np.int32 }).reshape([B, T]), arr(oneHotF32(y, V), [B, T, V])] as [Arr, Arr];
  });
  await blockUntilReady([params, m, v, batches]);

  const causal = np.tril(np.ones([T, T])).greater(0);
  const loss = (p: GptParams, idx: Arr, onehot: Arr): Arr => {
    let x = np.take(p.wte.ref, idx, 0).add(p.wpe);
    for (const l of p.layers) {
      const qkv = np.matmul(layerNorm(x.ref, l.ln1), l.attn); // [B, T, 3C]
      const [q, k, vv] = np.split(qkv, 3, -1) as [Arr, Arr, Arr];
      // [B, H, T, d]; nn.dotProductAttention would do, but it needs iterator helpers (Node 22)
      const heads = (a: Arr): Arr => np.swapaxes(a.reshape([B, T, H, C / H]), 1, 2);
      const scores = np.matmul(heads(q), np.swapaxes(heads(k), 2, 3)).mul(1 / Math.sqrt(C / H));
      const weights = nn.softmax(np.where(causal.ref, scores, -1e9), -1);
      const y = np.swapaxes(np.matmul(weights, heads(vv)), 1, 2).reshape([B, T, C]);
      x = x.add(np.matmul(y, l.proj));
      const h = nn.gelu(np.matmul(layerNorm(x.ref, l.ln2), l.fc), { approximate: false });
      x = x.add(np.matmul(h, l.fcProj));
    }
    const logits = np.matmul(layerNorm(x, p.lnf), p.wte.transpose()); // tied head
    return nn.logSoftmax(logits, -1).mul(onehot).sum().mul(-1 / (B * T));
  };
  const stepFn = jit((p: GptParams, mm: GptParams, vv: GptParams, idx: Arr, onehot: Arr, t: Arr): [Arr, GptParams, GptParams, GptParams] => {
    const [l, g] = valueAndGrad(loss)(tree.ref(p), idx, onehot);
    const sq = tree.leaves(tree.map((gi: Arr) => np.square(gi).sum(), tree.ref(g)) as object) as Arr[];
    const norm = np.sqrt(sq.reduce((acc, x) => acc.add(x)));
    const coef = np.minimum(np.array(GPT.clip).div(norm.add(1e-6)), 1);
    const bc1 = np.array(1).sub(np.power(np.array(GPT.beta1), t.ref)), bc2 = np.array(1).sub(np.power(np.array(GPT.beta2), t));
    const m2 = tree.map((mi: Arr, gi: Arr) => mi.mul(GPT.beta1).add(gi.mul(coef.ref).mul(1 - GPT.beta1)), mm, tree.ref(g)) as GptParams;
    const v2 = tree.map((vi: Arr, gi: Arr) => vi.mul(GPT.beta2).add(np.square(gi.mul(coef.ref)).mul(1 - GPT.beta2)), vv, g) as GptParams;
    // weight decay on the matrices and embeddings only, as nanoGPT
    const next = tree.map((pi: Arr, mi: Arr, vi: Arr) => pi.mul(1 - GPT.lr * GPT.weightDecay * (pi.shape.length >= 2 ? 1 : 0))
      .sub(mi.div(bc1.ref).mul(GPT.lr).div(np.sqrt(vi.div(bc2.ref)).add(GPT.eps))), p, tree.ref(m2), tree.ref(v2)) as GptParams;
    coef.dispose(); bc1.dispose(); bc2.dispose();
    return [l, next, m2, v2];
  });
  let step = 0;
  const run = async (): Promise<number> => {
    const [x, y] = batches[step % batches.length]!;
    step++;
    const [l, next, m2, v2] = stepFn(params, m, v, x.ref, y.ref, np.array(step));
    params = next; m = m2; v = v2;
    return (await l.data())[0]!; // data() consumes l and waits for the step
  };
  const sanity = [round(await run(), 4), round(await run(), 4)];
  const t = await timeIt(async () => { await run(); }, stepOpts(quick));
  tree.dispose([params, m, v]);
  causal.dispose();
  return gptResult(t, sanity);
}

runChild(args, async (): Promise<GroupResult> => {
  const config = await setup(args.peer);
  const res: GroupResult = { peer: args.peer, what: args.what, config, maxRssMB: 0 };
  if (args.what === 'gemm') res.gemm = await benchGemm(args.quick);
  else if (args.what === 'mlp') res.mlp = await benchMlp(args.quick);
  else if (args.what === 'gpt') res.gpt = await benchGpt(args.quick);
  else res.lenet = await benchLenet(args.quick);
  res.maxRssMB = maxRssMB();
  return res;
});
