/**
 * TensorFlow.js 4.22 with @tensorflow/tfjs-backend-webgpu (Dawn's navigator.gpu in Node): the
 * workloads of bench/gpu/common.ts. tidy/dispose as TF.js requires.
 */
import * as tf from '@tensorflow/tfjs';
import {
  TRANS, gemmSize, glorot, installNavigatorGpu, lenetBatch, LENET_LR, mlpSpecs, parseGpuArgs, randomF32, randomLabels, round, runGpuChild, tflops, timePipelined,
  type GpuGemmEntry, type GpuLenetEntry, type GpuMlpEntry, type GpuResult,
} from './common.js';

const args = parseGpuArgs();

function oneHot(labels: Int32Array, classes: number): tf.Tensor2D {
  const out = new Float32Array(labels.length * classes);
  labels.forEach((l, i) => { out[i * classes + l] = 1; });
  return tf.tensor2d(out, [labels.length, classes]);
}

const denseVars = (fanIn: number, fanOut: number, seed: number): [tf.Variable, tf.Variable] =>
  [tf.variable(tf.tensor2d(glorot(fanIn, fanOut, fanIn * fanOut, seed), [fanIn, fanOut])), tf.variable(tf.zeros([fanOut]))];

async function trainAndTime(lossFn: () => tf.Scalar, vars: tf.Variable[], lr: number, quick: boolean): Promise<{ losses: number[]; stepMs: number; fwdMs: number }> {
  const opt = tf.train.sgd(lr);
  const step = (): tf.Scalar => opt.minimize(lossFn, true, vars)!;
  const losses: number[] = [];
  for (let i = 0; i < 2; i++) { const l = step(); losses.push(round((await l.data())[0]!, 4)); l.dispose(); }
  const opts = quick ? { steps: 3, runs: 1 } : { steps: 20, runs: 5 };
  // every step's loss but the last is dropped at once; the last one is read (which waits for all)
  const keep: tf.Tensor[] = [];
  const wait = async (l: tf.Tensor): Promise<void> => { await l.data(); keep.forEach((t) => t.dispose()); keep.length = 0; };
  const fwdMs = await timePipelined(() => { const l = tf.tidy(lossFn); keep.push(l); return l; }, wait, opts);
  const stepMs = await timePipelined(() => { const l = step(); keep.push(l); return l; }, wait, opts);
  return { losses, stepMs, fwdMs };
}

async function benchMlp(quick: boolean): Promise<GpuMlpEntry[]> {
  const out: GpuMlpEntry[] = [];
  for (const spec of mlpSpecs(quick)) {
    const [d0, d1, d2, d3] = spec.sizes, B = spec.batch;
    const [w1, b1] = denseVars(d0, d1, 11), [w2, b2] = denseVars(d1, d2, 12), [w3, b3] = denseVars(d2, d3, 13);
    const x = tf.tensor2d(randomF32(B * d0, 21), [B, d0]), y = oneHot(randomLabels(B, d3, 22), d3);
    const lossFn = (): tf.Scalar => {
      const h1 = tf.sigmoid(tf.add(tf.matMul(x, w1), b1));
      const h2 = tf.sigmoid(tf.add(tf.matMul(h1, w2), b2));
      return tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(h2, w3), b3)) as tf.Scalar;
    };
    const m = await trainAndTime(lossFn, [w1, b1, w2, b2, w3, b3], spec.lr, quick);
    out.push({ name: spec.name, batch: B, fwdMs: round(m.fwdMs, 3), stepMs: round(m.stepMs, 3), samplesPerSec: round(B / (m.stepMs / 1000), 0), stepOverFwd: round(m.stepMs / m.fwdMs, 2), losses: m.losses });
  }
  return out;
}

async function benchGemm(quick: boolean): Promise<GpuGemmEntry[]> {
  const n = gemmSize(quick);
  const a = tf.tensor2d(randomF32(n * n, 1), [n, n]), b = tf.tensor2d(randomF32(n * n, 2), [n, n]);
  const out: GpuGemmEntry[] = [];
  for (const trans of TRANS) {
    const keep: tf.Tensor[] = [];
    // one element of the last product is read: the wait covers every queued multiply
    const ms = await timePipelined(() => { const c = tf.matMul(a, b, trans === 'TN', trans === 'NT'); keep.push(c); return c; },
      async (c) => { const s = tf.slice(c, [0, 0], [1, 1]); await s.data(); s.dispose(); keep.forEach((t) => t.dispose()); keep.length = 0; },
      quick ? { steps: 2, runs: 1 } : { steps: 10, runs: 5 });
    out.push({ n, trans, ms: round(ms, 3), tflops: tflops(n, ms) });
  }
  return out;
}

async function benchLenet(quick: boolean): Promise<GpuLenetEntry> {
  const B = lenetBatch(quick);
  const hwio = (data: Float32Array, o: number, i: number): tf.Tensor4D => tf.tidy(() => tf.transpose(tf.tensor4d(data, [o, i, 5, 5]), [2, 3, 1, 0]));
  const c1w = tf.variable(hwio(glorot(25, 150, 150, 31), 6, 1)), c1b = tf.variable(tf.zeros([6]));
  const c2w = tf.variable(hwio(glorot(150, 400, 2400, 32), 16, 6)), c2b = tf.variable(tf.zeros([16]));
  const [f1w, f1b] = denseVars(400, 120, 33), [f2w, f2b] = denseVars(120, 84, 34), [f3w, f3b] = denseVars(84, 10, 35);
  const x = tf.tensor4d(randomF32(B * 784, 41), [B, 28, 28, 1]), y = oneHot(randomLabels(B, 10, 42), 10);
  const lossFn = (): tf.Scalar => {
    let h = tf.maxPool(tf.relu(tf.add(tf.conv2d(x, c1w as tf.Tensor4D, 1, 'same'), c1b)) as tf.Tensor4D, 2, 2, 'valid');
    h = tf.maxPool(tf.relu(tf.add(tf.conv2d(h, c2w as tf.Tensor4D, 1, 'valid'), c2b)) as tf.Tensor4D, 2, 2, 'valid');
    const f = tf.reshape(tf.transpose(h, [0, 3, 1, 2]), [B, 400]);
    const z1 = tf.relu(tf.add(tf.matMul(f, f1w), f1b)), z2 = tf.relu(tf.add(tf.matMul(z1, f2w), f2b));
    return tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(z2, f3w), f3b)) as tf.Scalar;
  };
  const m = await trainAndTime(lossFn, [c1w, c1b, c2w, c2b, f1w, f1b, f2w, f2b, f3w, f3b], LENET_LR, quick);
  return { batch: B, stepMs: round(m.stepMs, 3), samplesPerSec: round(B / (m.stepMs / 1000), 0), losses: m.losses };
}

runGpuChild('tfjs-webgpu', args.what, async (): Promise<GpuResult> => {
  await installNavigatorGpu();
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) throw new Error('tf.setBackend("webgpu") failed');
  await tf.ready();
  const adapterInfo = (tf.backend() as unknown as { adapterInfo?: { vendor?: string; architecture?: string } }).adapterInfo;
  const r: GpuResult = { lib: 'tfjs-webgpu', what: args.what, config: `TF.js ${tf.version.tfjs}, webgpu backend`, adapter: `${adapterInfo?.vendor ?? ''} ${adapterInfo?.architecture ?? ''}`.trim() };
  if (args.what === 'mlp') r.mlp = await benchMlp(args.quick);
  else if (args.what === 'gemm') r.gemm = await benchGemm(args.quick);
  else r.lenet = await benchLenet(args.quick);
  return r;
});
