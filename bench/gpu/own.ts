/**
 * backprop on the webgpu device: the MLP steps, GEMM 4096 and the LeNet-5 step (bench/gpu/common.ts),
 * with dispatches and submissions per step. Written as a user writes it: no dispose, no tidy.
 */
import { Tensor, backendFor, dispatchStats, initDevice, matmul, nn, noGrad, optim, setDefaultDevice, tensor } from '../../src/index.js';
import type { WebGpuBackend } from '../../src/backend/webgpu/index.js';
import { loadConv, loadDense } from '../own-init.js';
import {
  TRANS, gemmSize, lenetBatch, LENET_LR, mlpSpecs, parseGpuArgs, randomF32, randomLabels, round, runGpuChild, tflops, timePipelined,
  type GpuGemmEntry, type GpuLenetEntry, type GpuMlpEntry, type GpuResult,
} from './common.js';

const args = parseGpuArgs();

const gpu = (): WebGpuBackend => backendFor('webgpu') as unknown as WebGpuBackend;

interface Trainer { step(): Tensor; forward(): Tensor }

function trainer(model: nn.Module, x: Tensor, y: Tensor, lr: number): Trainer {
  model.to('webgpu');
  const opt = new optim.SGD(model.parameters(), { lr });
  const xd = x.to('webgpu'), yd = y.to('webgpu');
  return {
    step: () => {
      opt.zeroGrad();
      const loss = nn.F.crossEntropy(model.forward(xd), yd);
      loss.backward();
      opt.step();
      return loss;
    },
    forward: () => noGrad(() => nn.F.crossEntropy(model.forward(xd), yd)),
  };
}

async function measure(t: Trainer, quick: boolean): Promise<{ losses: number[]; stepMs: number; fwdMs: number; dispatches: number; submissions: number }> {
  const losses = [round(await t.step().itemAsync(), 4), round(await t.step().itemAsync(), 4)];
  const opts = quick ? { steps: 3, runs: 1 } : { steps: 20, runs: 5 };
  const fwdMs = await timePipelined(t.forward, (l) => l.itemAsync(), opts);
  const d0 = dispatchStats();
  const stepMs = await timePipelined(t.step, (l) => l.itemAsync(), opts);
  const d1 = dispatchStats();
  const steps = opts.steps * (opts.runs + 1);
  return { losses, stepMs, fwdMs, dispatches: round((d1.dispatches - d0.dispatches) / steps, 1), submissions: round((d1.submissions - d0.submissions) / steps, 2) };
}

async function benchMlp(quick: boolean): Promise<GpuMlpEntry[]> {
  const out: GpuMlpEntry[] = [];
  for (const spec of mlpSpecs(quick)) {
    const [d0, d1, d2, d3] = spec.sizes, B = spec.batch;
    const l1 = new nn.Linear(d0, d1), l2 = new nn.Linear(d1, d2), l3 = new nn.Linear(d2, d3);
    loadDense(l1, 11); loadDense(l2, 12); loadDense(l3, 13);
    const model = new nn.Sequential(l1, new nn.Sigmoid(), l2, new nn.Sigmoid(), l3);
    const t = trainer(model, tensor(randomF32(B * d0, 21), { shape: [B, d0] }), tensor(randomLabels(B, d3, 22)), spec.lr);
    const m = await measure(t, quick);
    out.push({
      name: spec.name, batch: B, fwdMs: round(m.fwdMs, 3), stepMs: round(m.stepMs, 3), samplesPerSec: round(B / (m.stepMs / 1000), 0),
      stepOverFwd: round(m.stepMs / m.fwdMs, 2), losses: m.losses, dispatchesPerStep: m.dispatches, submissionsPerStep: m.submissions,
    });
  }
  return out;
}

async function benchGemm(quick: boolean): Promise<GpuGemmEntry[]> {
  const n = gemmSize(quick);
  const a = tensor(randomF32(n * n, 1), { shape: [n, n], device: 'webgpu' });
  const b = tensor(randomF32(n * n, 2), { shape: [n, n], device: 'webgpu' });
  const out: GpuGemmEntry[] = [];
  for (const trans of TRANS) {
    const opts = { transA: trans === 'TN', transB: trans === 'NT' };
    const ms = await timePipelined(() => matmul(a, b, opts), () => gpu().sync(), quick ? { steps: 2, runs: 1 } : { steps: 10, runs: 5 });
    out.push({ n, trans, ms: round(ms, 3), tflops: tflops(n, ms) });
  }
  return out;
}

async function benchLenet(quick: boolean): Promise<GpuLenetEntry> {
  const B = lenetBatch(quick);
  const c1 = new nn.Conv2d(1, 6, 5, { padding: 2 }), c2 = new nn.Conv2d(6, 16, 5);
  const f1 = new nn.Linear(400, 120), f2 = new nn.Linear(120, 84), f3 = new nn.Linear(84, 10);
  loadConv(c1, 25, 150, 31); loadConv(c2, 150, 400, 32);
  loadDense(f1, 33); loadDense(f2, 34); loadDense(f3, 35);
  const model = new nn.Sequential(c1, new nn.ReLU(), new nn.MaxPool2d(2), c2, new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(), f1, new nn.ReLU(), f2, new nn.ReLU(), f3);
  const t = trainer(model, tensor(randomF32(B * 28 * 28, 41), { shape: [B, 1, 28, 28] }), tensor(randomLabels(B, 10, 42)), LENET_LR);
  const m = await measure(t, quick);
  return { batch: B, stepMs: round(m.stepMs, 3), samplesPerSec: round(B / (m.stepMs / 1000), 0), losses: m.losses, dispatchesPerStep: m.dispatches, submissionsPerStep: m.submissions };
}

runGpuChild('backprop', args.what, async (): Promise<GpuResult> => {
  const info = await initDevice('webgpu');
  setDefaultDevice('cpu');
  const r: GpuResult = { lib: 'backprop', what: args.what, config: 'backprop webgpu device (WGSL kernels, batched submissions)', adapter: info.description };
  if (args.what === 'mlp') r.mlp = await benchMlp(args.quick);
  else if (args.what === 'gemm') r.gemm = await benchGemm(args.quick);
  else r.lenet = await benchLenet(args.quick);
  return r;
});
