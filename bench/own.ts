/**
 * ============================================================================
 *  ADAPTER FOR OUR OWN LIBRARY (backprop, js, wasm and native backends, and the webgpu device).
 * ============================================================================
 *
 * Run by the driver (bench/run.ts) once per (peer, group):
 *
 *   node build/bench/own.js --peer backprop-js   --what gemm|mlp|lenet [--quick]
 *   node build/bench/own.js --peer backprop-wasm --what gemm|mlp|lenet [--quick]
 *   node build/bench/own.js --peer backprop-native --what gemm|mlp|lenet|gpt [--quick]
 *   node build/bench/own.js --peer backprop-webgpu --what gemm|mlp|lenet|gpt [--quick]
 *
 *  backprop-webgpu runs the same workloads with the model, data and optimizer state on the
 *  webgpu device (Node: the optional `webgpu` package, Dawn). Reads use the async forms; a GEMM
 *  is forced by waiting for the GPU queue. With no adapter it emits `{"skipped": "no adapter: ..."}`.
 *  It prints a partial result line after each GEMM row (emitPartial), so that a Dawn crash keeps
 *  the rows before it, and reports kernels dispatched and submissions per training step.
 *
 * CONTRACT (identical to bench/peers/tfjs.ts and bench/peers/jax.ts):
 *  - One child process per (peer, what); stdout's last line is ONE JSON object,
 *    either a `GroupResult` or `{"skipped": "<reason>"}` (types in
 *    bench/common.ts). Anything else printed before that line is ignored.
 *    Use `runChild(args, main)`: it prints the line, turns a thrown error into
 *    a skipped line, and exits the process.
 *  - `peer` selects the backend: 'backprop-js' → pure-JS backend,
 *    'backprop-wasm' → wasm backend (e.g. `setBackend('wasm')`), 'backprop-native' → the native
 *    backend (the C++ addon `npm run build` compiles; skipped where it is not built).
 *  - Workloads (use the shared constants/helpers so data and timing policy
 *    match the peers: `MLP`, `LENET`, `GEMM_SIZES`, `TRANS`, `glorot`,
 *    `randomF32`, `randomLabels`, `oneHotF32`, `timeIt`, `gemmOpts(quick)`,
 *    `stepOpts(quick)`, `gflops`, `round`):
 *     gemm : for n in 256/512/1024 and trans in NN (A·B), TN (Aᵀ·B), NT (A·Bᵀ),
 *            square n×n float32, using our own transposed-matmul path (not a
 *            materialised transpose unless that is what the library does).
 *            Push `{ n, trans, gflops, ms, reps }` (or `gflops: null, ms: null,
 *            na: reason`).
 *     mlp  : 784-1024-1024-10, sigmoid hidden, mean softmax cross-entropy,
 *            SGD lr 0.1, batch 128. Median ms of: forward up to the scalar
 *            loss (fwdMs); loss + all parameter gradients, no update
 *            (fwdBwdMs); full step incl. the SGD update (stepMs).
 *            samplesPerSec = batch / stepSeconds.
 *     lenet: NCHW or NHWC as the library prefers; conv 6@5×5 pad 2 → relu →
 *            maxpool 2 → conv 16@5×5 valid → relu → maxpool 2 → flatten 400 →
 *            120 → relu → 84 → relu → 10, mean softmax cross-entropy, SGD 0.1,
 *            batch 64. stepMs (median) and samplesPerSec.
 *  - The timed closure must FORCE completion (read the loss / result back)
 *    and free temporaries so memory does not grow across reps.
 *  - Set `maxRssMB: maxRssMB()` at the very end (peak RSS of this process).
 *  - `config` is a one-line description shown in BENCHMARKS.md
 *    (backend, threads, SIMD, ...).
 *  - Something unsupported: put `na: "<reason>"` on that entry (tables show
 *    "n/a"); the whole group unsupported: throw or emit `{ skipped }`.
 */
import {
  GEMM_SIZES, GPT, LENET, MLP, TRANS, emit, emitPartial, gemmEntry, gemmOpts, gptResult, inputsAndTargets, lenetResult, maxRssMB, parseArgs, randomF32, randomLabels,
  randomTokens, round, runChild, stepOpts, timeIt,
  type Args, type GemmEntry, type GptResult, type GroupResult, type LenetResult, type MlpResult, mlpResult,
} from './common.js';
import { Generator, Tensor, backendFor, dispatchStats, initDevice, matmul, nativeInfo, nn, noGrad, optim, setBackend, tensor, type Device } from '../src/index.js';
import { getNumThreads, wasmInfo } from '../src/backend/wasm/index.js';
import type { WebGpuBackend } from '../src/backend/webgpu/index.js';
import { loadConv, loadDense } from './own-init.js';

const args: Args = parseArgs();

/** Where the workloads run: the CPU (js or wasm backend), or the webgpu device for backprop-webgpu. */
let dev: Device = 'cpu';
/**
 * A software GPU adapter (SwiftShader) shows that the column runs, not its speed, and takes
 * tens of seconds per GPT step: it gets quick mode's single timed rep.
 */
let softwareAdapter = false;

/** A scalar read back: synchronous on the CPU (unchanged), a GPU readback on webgpu. */
function scalar(t: Tensor): number | Promise<number> {
  return dev === 'cpu' ? t.item() : t.itemAsync();
}

/** Kernels dispatched and submissions per call of `fn` over `calls` calls (webgpu only). */
function perStep(before: { dispatches: number; submissions: number }, calls: number): { dispatchesPerStep: number; submissionsPerStep: number } {
  const after = dispatchStats();
  return {
    dispatchesPerStep: round((after.dispatches - before.dispatches) / calls, 1),
    submissionsPerStep: round((after.submissions - before.submissions) / calls, 2),
  };
}

/** Thrown when the webgpu device cannot start: reported as a skip that the tables show as "no adapter". */
class NoAdapter extends Error {}

/** Flip to true once the functions below are implemented. */
const WIRED = true;

async function setup(peer: string): Promise<string> {
  if (peer === 'backprop-webgpu') {
    setBackend('wasm');
    let info;
    try {
      info = await initDevice('webgpu');
    } catch (e) {
      throw new NoAdapter(`no adapter: ${e instanceof Error ? e.message : String(e)}`);
    }
    dev = 'webgpu';
    const software = /swiftshader|llvmpipe|lavapipe|software/i.test(info.description);
    softwareAdapter = software;
    return `backprop webgpu device on ${info.description} (${String(info.details['source'])})` +
      (software ? '; a software adapter: runs, not a speed measurement' : '');
  }
  if (peer === 'backprop-native') {
    const native = nativeInfo();
    if (!native.available) throw new Error(`native addon not available: ${native.reason}`);
    setBackend('native');
    return `backprop native backend (C++ addon, ${native.vectorFloats * 32}-bit vectors: GEMM, arithmetic, GELU, attention, layer norm, cross-entropy, Adam; the rest as wasm), ` +
      `GEMM threads=${getNumThreads()}`;
  }
  if (peer !== 'backprop-js' && peer !== 'backprop-wasm') throw new Error(`unknown own peer "${peer}"`);
  if (peer === 'backprop-js') {
    setBackend('js');
    return 'backprop js backend (pure JS), single thread';
  }
  setBackend('wasm');
  const info = wasmInfo();
  if (!info.available) throw new Error('wasm SIMD unavailable here: the wasm backend would fall back to JS kernels');
  return `backprop wasm backend (WebAssembly SIMD kernels where they pay, JS for the rest), relaxed SIMD ` +
    `${info.relaxedSimd ? 'on' : 'off'}, GEMM threads=${getNumThreads()} (shared memory ${info.shared ? 'yes' : 'no'})`;
}

async function benchGemm(quick: boolean, partial: (gemm: GemmEntry[]) => void): Promise<GemmEntry[]> {
  const out: GemmEntry[] = [];
  for (const n of GEMM_SIZES) {
    const a = tensor(randomF32(n * n, 1), { shape: [n, n], device: dev });
    const b = tensor(randomF32(n * n, 2), { shape: [n, n], device: dev });
    for (const trans of TRANS) {
      const opts = { transA: trans === 'TN', transB: trans === 'NT' };
      // Synchronous kernels: the product is complete when matmul returns; reading one
      // element keeps the call from being optimised away. No graph: no input requires grad.
      // On webgpu: the product is complete when the GPU queue has finished.
      const gpu = dev === 'webgpu' ? backendFor('webgpu') as unknown as WebGpuBackend : null;
      const t = await timeIt(gpu ? () => { matmul(a, b, opts); return gpu.sync(); } : () => matmul(a, b, opts).data[0], gemmOpts(quick));
      out.push(gemmEntry(n, trans, t));
      partial(out);
    }
  }
  return out;
}

/**
 * Copies a shared-init dense weight, generated as [fanIn, fanOut] row-major like the peers',
 * into our Linear's [out, in] weight, and zeroes the bias (the peers start biases at 0).
 */
interface Workload {
  model: nn.Module;
  x: Tensor;
  y: Tensor;
  opt: optim.SGD;
}

/** Loss of one batch; `.item()` reads the scalar back, which forces every kernel before it. */
function lossOf(w: Workload): Tensor {
  return nn.functional.crossEntropy(w.model.forward(w.x), w.y);
}

/** The training step as a user writes it: no dispose, no tidy. */
function trainStep(w: Workload): number | Promise<number> {
  w.opt.zeroGrad();
  const loss = lossOf(w);
  loss.backward();
  w.opt.step();
  return scalar(loss);
}

/** Loss of the first two SGD steps from the shared init (compare across libraries). */
async function sanity(w: Workload): Promise<number[]> {
  return [round(await trainStep(w), 4), round(await trainStep(w), 4)];
}

/** Times training steps, counting them so that webgpu's dispatches per step can be reported. */
async function timeSteps(w: Workload, quick: boolean): Promise<{ t: Awaited<ReturnType<typeof timeIt>>; counts: ReturnType<typeof perStep> | null }> {
  let calls = 0;
  const before = dispatchStats();
  const t = await timeIt(() => { calls++; return trainStep(w); }, stepOpts(quick));
  return { t, counts: dev === 'webgpu' ? perStep(before, calls) : null };
}

async function benchMlp(quick: boolean): Promise<MlpResult> {
  const [d0, d1, d2, d3] = MLP.sizes;
  const B = MLP.batch;
  const l1 = new nn.Linear(d0, d1), l2 = new nn.Linear(d1, d2), l3 = new nn.Linear(d2, d3);
  loadDense(l1, 11);
  loadDense(l2, 12);
  loadDense(l3, 13);
  const model = new nn.Sequential(l1, new nn.Sigmoid(), l2, new nn.Sigmoid(), l3).to(dev);
  const w: Workload = {
    model,
    x: tensor(randomF32(B * d0, 21), { shape: [B, d0], device: dev }),
    y: tensor(randomLabels(B, d3, 22), { device: dev }),
    opt: new optim.SGD(model.parameters(), { lr: MLP.lr }),
  };
  const opts = stepOpts(quick);

  // Forward as for evaluation (no graph recorded), like the peers' forward-only functions.
  const fwd = await timeIt(() => scalar(noGrad(() => lossOf(w))), opts);
  const fwdBwd = await timeIt(() => {
    model.zeroGrad();
    const loss = lossOf(w);
    loss.backward();
    // on webgpu the loss read comes after the backward kernels in the queue, so it waits for them
    return dev === 'cpu' ? [loss.item(), l1.weight.grad?.data[0]] : loss.itemAsync();
  }, opts);
  model.zeroGrad();
  const sanityLosses = await sanity(w);
  const step = await timeSteps(w, quick);
  return { ...mlpResult(B, fwd, fwdBwd, step.t, sanityLosses), ...step.counts };
}

async function benchLenet(quick: boolean): Promise<LenetResult> {
  const B = LENET.batch;
  const c1 = new nn.Conv2d(1, 6, 5, { padding: 2 }), c2 = new nn.Conv2d(6, 16, 5);
  const f1 = new nn.Linear(400, 120), f2 = new nn.Linear(120, 84), f3 = new nn.Linear(84, LENET.classes);
  loadConv(c1, 25, 150, 31);
  loadConv(c2, 150, 400, 32);
  loadDense(f1, 33);
  loadDense(f2, 34);
  loadDense(f3, 35);
  const model = new nn.Sequential(
    c1, new nn.ReLU(), new nn.MaxPool2d(2),
    c2, new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Flatten(), f1, new nn.ReLU(), f2, new nn.ReLU(), f3,
  ).to(dev);
  const w: Workload = {
    model,
    x: tensor(randomF32(B * 28 * 28, 41), { shape: [B, 1, 28, 28], device: dev }),
    y: tensor(randomLabels(B, LENET.classes, 42), { device: dev }),
    opt: new optim.SGD(model.parameters(), { lr: LENET.lr }),
  };
  const sanityLosses = await sanity(w);
  const { t, counts } = await timeSteps(w, quick);
  return { ...lenetResult(B, t, sanityLosses), ...counts };
}

/** nanoGPT's character GPT, trained as `backprop train --dataset text` trains it. */
async function benchGpt(quick: boolean): Promise<GptResult> {
  const model = new nn.GPT({ vocabSize: GPT.vocab, blockSize: GPT.block, nLayer: GPT.layers, nHead: GPT.heads, nEmbd: GPT.embd, generator: new Generator(1) }).to(dev);
  const params = model.parameters();
  const opt = new optim.AdamW([
    { params: params.filter((p) => p.shape.length >= 2) },
    { params: params.filter((p) => p.shape.length < 2), weightDecay: 0 },
  ], { lr: GPT.lr, betas: [GPT.beta1, GPT.beta2], eps: GPT.eps, weightDecay: GPT.weightDecay });
  const batches = randomTokens(51).map((t) => inputsAndTargets(t).map((a) => Tensor.fromRaw(a, [GPT.batch, GPT.block]).to(dev)) as [Tensor, Tensor]);
  let i = 0;
  const step = (): number | Promise<number> => {
    const [x, y] = batches[i++ % batches.length]!;
    opt.zeroGrad();
    const loss = model.loss(x, y);
    loss.backward();
    optim.clipGradNorm(params, GPT.clip);
    opt.step();
    return scalar(loss);
  };
  const sanityLosses = [round(await step(), 4), round(await step(), 4)];
  let calls = 0;
  const before = dispatchStats();
  // yield between steps, as the CLI's training loop does (the storage pool refills then)
  const t = await timeIt(async () => {
    calls++;
    await step();
    await new Promise((r) => setImmediate(r));
  }, { ...stepOpts(quick), minReps: 20, maxReps: 60, budgetMs: 4000 });
  return { ...gptResult(t, sanityLosses), ...(dev === 'webgpu' ? perStep(before, calls) : {}) };
}

if (!WIRED) {
  emit({ skipped: 'not wired yet' });
} else {
  runChild(args, async (): Promise<GroupResult> => {
    let config: string;
    try {
      config = await setup(args.peer);
    } catch (e) {
      if (!(e instanceof NoAdapter)) throw e;
      emit({ skipped: e.message, peer: args.peer, what: args.what, maxRssMB: maxRssMB() });
      return new Promise<never>(() => {}); // emit exits the process
    }
    const res: GroupResult = { peer: args.peer, what: args.what, config, maxRssMB: 0 };
    const quick = args.quick || softwareAdapter;
    const partial = dev === 'webgpu' ? (gemm: GemmEntry[]): void => emitPartial({ ...res, gemm, maxRssMB: maxRssMB() }) : (): void => {};
    if (args.what === 'gemm') res.gemm = await benchGemm(quick, partial);
    else if (args.what === 'mlp') res.mlp = await benchMlp(quick);
    else if (args.what === 'gpt') res.gpt = await benchGpt(quick);
    else res.lenet = await benchLenet(quick);
    res.maxRssMB = maxRssMB();
    return res;
  });
}
