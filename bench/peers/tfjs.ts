/**
 * TensorFlow.js peer: `--peer tfjs-wasm` (XNNPACK WebAssembly backend) or
 * `--peer tfjs-cpu` (pure-JS CPU backend).
 *
 *   node build/bench/peers/tfjs.js --peer tfjs-wasm --what gemm|mlp|lenet [--quick]
 *
 * Prints one JSON line (see bench/common.ts).
 *
 * Notes on the wasm backend under Node:
 *  - SIMD is detected with WebAssembly.validate and is available in Node 20.
 *  - Multithreading is hard-disabled by tfjs-backend-wasm when running in Node
 *    (flag WASM_HAS_MULTITHREAD_SUPPORT returns false if IS_NODE), so the
 *    single-threaded SIMD binary is used.
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';
import {
  GEMM_SIZES, LENET, MLP, TRANS, gemmEntry, gemmOpts, glorot, lenetResult, maxRssMB, oneHotF32, parseArgs,
  randomF32, randomLabels, round, runChild, stepOpts, timeIt,
  type Args, type GemmEntry, type GroupResult, type LenetResult, type MlpResult, type TimeOpts, type Timing, mlpResult,
} from '../common.js';

const args: Args = parseArgs();

async function setup(peer: string): Promise<string> {
  if (peer === 'tfjs-wasm') {
    const require = createRequire(import.meta.url);
    const distDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
    tfwasm.setWasmPaths(distDir + path.sep);
    // Investigation knob: BENCH_TFJS_NO_SIMD=1 forces the plain (non-SIMD) wasm binary.
    if (process.env['BENCH_TFJS_NO_SIMD'] === '1') tf.env().set('WASM_HAS_SIMD_SUPPORT', false);
    const ok = await tf.setBackend('wasm');
    if (!ok) throw new Error('tf.setBackend("wasm") failed');
    await tf.ready();
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const mt = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    return `tfjs ${tf.version.tfjs}, wasm backend, SIMD=${String(simd)}, multithread=${String(mt)}, threads=${tfwasm.getThreadsCount()}`;
  }
  if (peer === 'tfjs-cpu') {
    const ok = await tf.setBackend('cpu');
    if (!ok) throw new Error('tf.setBackend("cpu") failed');
    await tf.ready();
    return `tfjs ${tf.version.tfjs}, cpu backend (pure JS), single thread`;
  }
  throw new Error(`unknown tfjs peer "${peer}"`);
}

/** Synchronous backends (cpu/wasm) finish kernels before returning; dataSync also forces. */
function force(t: tf.Tensor): void {
  t.dataSync();
}

async function benchGemm(quick: boolean): Promise<GemmEntry[]> {
  const out: GemmEntry[] = [];
  for (const n of GEMM_SIZES) {
    const a = tf.tensor2d(randomF32(n * n, 1), [n, n]);
    const b = tf.tensor2d(randomF32(n * n, 2), [n, n]);
    for (const trans of TRANS) {
      const ta = trans === 'TN';
      const tb = trans === 'NT';
      const t = await timeIt(() => {
        const c = tf.matMul(a, b, ta, tb);
        force(c);
        c.dispose();
      }, gemmOpts(quick));
      out.push(gemmEntry(n, trans, t));
    }
    a.dispose();
    b.dispose();
  }
  return out;
}

/**
 * Two optimizer steps from the shared init, whose losses are the cross-library sanity check,
 * then the timed steps that follow them.
 */
async function trainAndTime(optimizer: tf.Optimizer, lossFn: () => tf.Scalar, vars: tf.Variable[], opts: TimeOpts): Promise<{ sanity: number[]; step: Timing }> {
  const minimize = (): tf.Scalar => {
    const l = optimizer.minimize(lossFn, true, vars);
    if (!l) throw new Error('minimize returned null');
    return l;
  };
  const sanity: number[] = [];
  for (let i = 0; i < 2; i++) {
    const l = minimize();
    sanity.push(round(l.dataSync()[0]!, 4));
    l.dispose();
  }
  const step = await timeIt(() => {
    const l = minimize();
    force(l);
    l.dispose();
  }, opts);
  return { sanity, step };
}

function denseVar(fanIn: number, fanOut: number, seed: number, name: string): [tf.Variable, tf.Variable] {
  const w = tf.variable(tf.tensor2d(glorot(fanIn, fanOut, fanIn * fanOut, seed), [fanIn, fanOut]), true, name + '_w');
  const b = tf.variable(tf.zeros([fanOut]), true, name + '_b');
  return [w, b];
}

async function benchMlp(quick: boolean): Promise<MlpResult> {
  const [d0, d1, d2, d3] = MLP.sizes;
  const B = MLP.batch;
  const [w1, b1] = denseVar(d0, d1, 11, 'l1');
  const [w2, b2] = denseVar(d1, d2, 12, 'l2');
  const [w3, b3] = denseVar(d2, d3, 13, 'l3');
  const vars = [w1, b1, w2, b2, w3, b3];
  const x = tf.tensor2d(randomF32(B * d0, 21), [B, d0]);
  const y = tf.tensor2d(oneHotF32(randomLabels(B, d3, 22), d3), [B, d3]);

  const lossFn = (): tf.Scalar => {
    const h1 = tf.sigmoid(tf.add(tf.matMul(x, w1), b1));
    const h2 = tf.sigmoid(tf.add(tf.matMul(h1, w2), b2));
    const logits = tf.add(tf.matMul(h2, w3), b3);
    // Default reduction: mean over the batch.
    return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
  };
  const opts = stepOpts(quick);

  const fwd = await timeIt(() => {
    const l = tf.tidy(lossFn);
    force(l);
    l.dispose();
  }, opts);

  const fwdBwd = await timeIt(() => {
    const { value, grads } = tf.variableGrads(lossFn, vars);
    force(value);
    force(grads[b1.name]!);
    value.dispose();
    for (const g of Object.values(grads)) g.dispose();
  }, opts);

  const { sanity, step } = await trainAndTime(tf.train.sgd(MLP.lr), lossFn, vars, opts);
  return mlpResult(B, fwd, fwdBwd, step, sanity);
}

async function benchLenet(quick: boolean): Promise<LenetResult> {
  const B = LENET.batch;
  // Weights are generated in OIHW order (same numbers as the NCHW peers) and
  // transposed once to tfjs's HWIO layout, so the losses match across libraries.
  const hwio = (data: Float32Array, o: number, i: number): tf.Tensor4D =>
    tf.tidy(() => tf.transpose(tf.tensor4d(data, [o, i, 5, 5]), [2, 3, 1, 0]));
  const c1w = tf.variable(hwio(glorot(25, 150, 6 * 1 * 25, 31), 6, 1));
  const c1b = tf.variable(tf.zeros([6]));
  const c2w = tf.variable(hwio(glorot(150, 400, 16 * 6 * 25, 32), 16, 6));
  const c2b = tf.variable(tf.zeros([16]));
  const [f1w, f1b] = denseVar(400, 120, 33, 'f1');
  const [f2w, f2b] = denseVar(120, 84, 34, 'f2');
  const [f3w, f3b] = denseVar(84, 10, 35, 'f3');
  const vars = [c1w, c1b, c2w, c2b, f1w, f1b, f2w, f2b, f3w, f3b];
  const x = tf.tensor4d(randomF32(B * 28 * 28, 41), [B, 28, 28, 1]);
  const y = tf.tensor2d(oneHotF32(randomLabels(B, LENET.classes, 42), LENET.classes), [B, LENET.classes]);

  const lossFn = (): tf.Scalar => {
    // NHWC. 'same' with a 5×5 kernel and stride 1 is exactly pad 2.
    let h = tf.relu(tf.add(tf.conv2d(x, c1w as tf.Tensor4D, 1, 'same'), c1b)) as tf.Tensor4D;
    h = tf.maxPool(h, 2, 2, 'valid'); // 14×14×6
    h = tf.relu(tf.add(tf.conv2d(h, c2w as tf.Tensor4D, 1, 'valid'), c2b)) as tf.Tensor4D; // 10×10×16
    h = tf.maxPool(h, 2, 2, 'valid'); // 5×5×16
    // Flatten in C,H,W order like the NCHW libraries (a tiny transpose).
    const f = tf.reshape(tf.transpose(h, [0, 3, 1, 2]), [B, 400]);
    const z1 = tf.relu(tf.add(tf.matMul(f, f1w), f1b));
    const z2 = tf.relu(tf.add(tf.matMul(z1, f2w), f2b));
    const logits = tf.add(tf.matMul(z2, f3w), f3b);
    return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
  };
  const { sanity, step } = await trainAndTime(tf.train.sgd(LENET.lr), lossFn, vars, stepOpts(quick));
  return lenetResult(B, step, sanity);
}

runChild(args, async (): Promise<GroupResult> => {
  const config = await setup(args.peer);
  const res: GroupResult = { peer: args.peer, what: args.what, config, maxRssMB: 0 };
  if (args.what === 'gemm') res.gemm = await benchGemm(args.quick);
  else if (args.what === 'mlp') res.mlp = await benchMlp(args.quick);
  else if (args.what === 'gpt') throw new Error('the GPT step is measured against jax-js only (TF.js has no causal attention or fused layer norm; a hand-built one would not be its own kernels)');
  else {
    try {
      res.lenet = await benchLenet(args.quick);
    } catch (e) {
      // e.g. tfjs-backend-wasm has no Conv2DBackpropFilter kernel.
      const msg = e instanceof Error ? e.message : String(e);
      res.lenet = { batch: LENET.batch, stepMs: null, samplesPerSec: null, reps: 0, na: msg };
    }
  }
  res.maxRssMB = maxRssMB();
  return res;
});
