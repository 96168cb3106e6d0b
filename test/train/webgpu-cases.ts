/**
 * Training on the webgpu device: an MLP and a small conv net follow the CPU's losses step by
 * step, and so does a small GPT (fused layer norm, GELU and attention kernels), the same seed
 * gives the same losses bit for bit, and a long user loop that never
 * disposes anything keeps GPU memory flat. No Node APIs: runs in headless Chromium
 * (test/web/webgpu.test.ts) and, shortened, in Node.
 */
import {
  Generator, Tensor, backendFor, data, dispatchStats, manualSeed, memoryStats, nn, optim, randint, randn, setDefaultDevice, type Device,
} from '../../src/browser.js';
import type { DeviceCase } from '../ops/webgpu-cases.js';

/** The losses of `steps` plain training steps of a classifier (cross-entropy), read each step. */
async function classifierLosses(model: nn.Module, opt: optim.Optimizer, x: Tensor, y: Tensor, steps: number): Promise<number[]> {
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const loss = nn.F.crossEntropy(model.forward(x), y);
    opt.zeroGrad();
    loss.backward();
    opt.step();
    losses.push(await loss.itemAsync());
  }
  return losses;
}

async function mlpLosses(device: Device, steps: number): Promise<number[]> {
  manualSeed(3);
  const { x, y } = data.spirals({ n: 96, seed: 5 });
  const model = new nn.Sequential(new nn.Linear(2, 32), new nn.Tanh(), new nn.Linear(32, 32), new nn.ReLU(), new nn.Linear(32, 3)).to(device);
  const opt = new optim.SGD(model.parameters(), { lr: 0.2, momentum: 0.9 });
  return classifierLosses(model, opt, x.to(device), y.to(device), steps);
}

async function convLosses(device: Device, steps: number): Promise<number[]> {
  manualSeed(4);
  const g = new Generator(9);
  const x = randn([8, 1, 12, 12], { generator: g }), y = randint(0, 4, [8], { generator: g });
  const model = new nn.Sequential(
    new nn.Conv2d(1, 4, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(4, 6, 3), new nn.ReLU(), new nn.Flatten(), new nn.Linear(6 * 4 * 4, 4),
  ).to(device);
  const opt = new optim.Adam(model.parameters(), { lr: 1e-2 });
  return classifierLosses(model, opt, x.to(device), y.to(device), steps);
}

/** The fused kernels nn.GPT's forward and backward use where a backend has them. */
const GPT_KERNELS = ['layerNorm', 'layerNormGrad', 'geluGrad', 'attention', 'attentionGrad', 'crossEntropy', 'crossEntropyGrad', 'adamStep'] as const;

/** A one-block GPT learning next tokens with AdamW: losses per step. */
async function gptLosses(device: Device, steps: number): Promise<number[]> {
  manualSeed(7);
  const g = new Generator(11);
  const vocab = 13, batch = 3, t = 16;
  const ids = randint(0, vocab, [batch, t + 1], { generator: g });
  const x = ids.sliceDim(1, 0, t), y = ids.sliceDim(1, 1, t + 1);
  const model = new nn.GPT({ vocabSize: vocab, blockSize: t, nLayer: 1, nHead: 2, nEmbd: 32, bias: true, generator: new Generator(12) }).to(device);
  const opt = new optim.AdamW(model.parameters(), { lr: 3e-3, weightDecay: 0.1 });
  const xd = x.to(device), yd = y.to(device);
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const loss = model.loss(xd, yd);
    opt.zeroGrad();
    loss.backward();
    opt.step();
    losses.push(await loss.itemAsync());
  }
  return losses;
}

function follow(what: string, gpu: number[], cpu: number[], tol: number): void {
  cpu.forEach((c, i) => {
    if (!(Math.abs(gpu[i]! - c) <= tol * Math.max(1, Math.abs(c)))) {
      throw new Error(`${what}: step ${i} loss ${gpu[i]} on webgpu, ${c} on the CPU (losses so far: ${gpu.slice(0, i + 1).join(', ')})`);
    }
  });
}

/**
 * A user loop of `steps` Adam steps that never disposes anything; every 100 steps (more often in
 * short loops, for enough samples) it awaits the loss (as a loop that logs does), which lets
 * finalizers return dead tensors' buffers.
 * Live bytes must stay flat while far more than that is allocated.
 */
export async function memoryLoop(steps: number): Promise<{ samples: number[]; every: number; allocated: number; steps: number; dispatchesPerStep: number; submissionsPerStep: number }> {
  manualSeed(6);
  const model = new nn.Sequential(new nn.Linear(16, 32), new nn.ReLU(), new nn.Linear(32, 4)).to('webgpu');
  const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
  const x = randn([64, 16]).to('webgpu'), y = randint(0, 4, [64]).to('webgpu');
  const samples: number[] = [];
  const a0 = memoryStats().allocatedBytes, d0 = dispatchStats();
  // at least 15 samples, so each third's floor is the lowest of several (one sample can sit on garbage)
  const every = Math.min(100, Math.max(1, Math.floor(steps / 15)));
  for (let step = 1; step <= steps; step++) {
    const loss = nn.F.crossEntropy(model.forward(x), y);
    opt.zeroGrad();
    loss.backward();
    opt.step();
    if (step % every === 0) {
      await loss.itemAsync();
      samples.push(memoryStats().liveBytes);
    }
  }
  const d1 = dispatchStats();
  return {
    samples, every, allocated: memoryStats().allocatedBytes - a0, steps,
    dispatchesPerStep: (d1.dispatches - d0.dispatches) / steps, submissionsPerStep: (d1.submissions - d0.submissions) / steps,
  };
}

export function checkFlat(r: Awaited<ReturnType<typeof memoryLoop>>): void {
  const third = Math.max(1, Math.floor(r.samples.length / 3));
  // garbage waiting for the collector lifts single samples; what stays after collections is the
  // floor, and a leak raises it
  const early = Math.min(...r.samples.slice(0, third));
  const late = Math.min(...r.samples.slice(-third));
  // every sample of a third can still hold one interval's garbage when no collection fell just
  // before it (seen in a fresh clone: floors 17,152 then 684,544 bytes, 33 steps' worth); a leak
  // grows with the run instead, by far more than one interval
  const perStep = r.allocated / r.steps, interval = perStep * r.every;
  if (late > early + (256 << 10) + interval) {
    throw new Error(`live bytes grew: early floor ${early}, late floor ${late}, more than one sampling interval's allocations (${Math.round(interval)}) above it (samples ${r.samples.join(', ')})`);
  }
  // at most the garbage of a few hundred steps is ever waiting: the rest came back
  const peak = Math.max(...r.samples);
  if (!(peak < 500 * perStep)) throw new Error(`live bytes peaked at ${peak}, the allocations of ${Math.round(peak / perStep)} steps (${r.allocated} allocated in ${r.steps}): buffers are not coming back`);
}

export function trainingDeviceCases(memorySteps = 5000): DeviceCase[] {
  return [
    {
      name: 'MLP (tanh, relu, SGD with momentum) on webgpu follows the CPU losses for 30 steps',
      run: async () => {
        const cpu = await mlpLosses('cpu', 30), gpu = await mlpLosses('webgpu', 30);
        follow('MLP', gpu, cpu, 1e-4);
        if (!(gpu[29]! < gpu[0]! * 0.8)) throw new Error(`MLP did not learn: ${gpu[0]} → ${gpu[29]}`);
      },
    },
    {
      name: 'conv net (conv, maxpool, Adam) on webgpu follows the CPU losses for 8 steps',
      run: async () => {
        const cpu = await convLosses('cpu', 8), gpu = await convLosses('webgpu', 8);
        follow('conv net', gpu, cpu, 2e-4);
      },
    },
    {
      name: 'GPT (1 block, 32 wide, 2 heads, block 16, AdamW) on webgpu follows the CPU losses for 6 steps, on fused kernels',
      run: async () => {
        const gpu = backendFor('webgpu');
        const missing = GPT_KERNELS.filter((k) => typeof gpu[k] !== 'function');
        if (missing.length > 0) throw new Error(`webgpu lacks the fused kernels ${missing.join(', ')}: GPT would run on compositions`);
        const cpu = await gptLosses('cpu', 6), gpuLosses = await gptLosses('webgpu', 6);
        follow('GPT', gpuLosses, cpu, 2e-4);
        if (!(gpuLosses[5]! < gpuLosses[0]!)) throw new Error(`GPT did not learn: ${gpuLosses.join(', ')}`);
        const again = await gptLosses('webgpu', 3);
        again.forEach((v, i) => { if (!Object.is(v, gpuLosses[i])) throw new Error(`GPT run-to-run difference at step ${i}: ${v} vs ${gpuLosses[i]}`); });
      },
    },
    {
      name: 'same seed, same device: the same losses bit for bit',
      run: async () => {
        const a = await convLosses('webgpu', 4), b = await convLosses('webgpu', 4);
        a.forEach((v, i) => { if (!Object.is(v, b[i])) throw new Error(`run-to-run difference at step ${i}: ${v} vs ${b[i]}`); });
        const c = await mlpLosses('webgpu', 5), d = await mlpLosses('webgpu', 5);
        c.forEach((v, i) => { if (!Object.is(v, d[i])) throw new Error(`MLP run-to-run difference at step ${i}: ${v} vs ${d[i]}`); });
      },
    },
    {
      name: 'MLP steps in a loop that never yields reuse their gradient buffers (no garbage collection needed)',
      run: async () => {
        setDefaultDevice('cpu');
        // wide layers, a batch of 2: the gradients (the parameters' size) dwarf the activations
        const model = new nn.Sequential(new nn.Linear(256, 256), new nn.Sigmoid(), new nn.Linear(256, 10)).to('webgpu');
        const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
        const x = randn([2, 256]).to('webgpu'), y = randint(0, 10, [2]).to('webgpu');
        const step = (): Tensor => {
          opt.zeroGrad();
          const loss = nn.F.crossEntropy(model.forward(x), y);
          loss.backward();
          opt.step();
          return loss;
        };
        await step().itemAsync();
        await step().itemAsync();
        const paramBytes = model.parameters().reduce((n, p) => n + 4 * p.size, 0);
        // GPU bytes held, live or pooled: only new buffers raise it
        const held = (): number => { const m = memoryStats(); return m.liveBytes + m.pooledBytes; };
        const before = held();
        let last = step();
        for (let i = 1; i < 10; i++) last = step(); // no await: finalizers cannot run in between
        const grown = held() - before;
        const loss = await last.itemAsync();
        if (!Number.isFinite(loss)) throw new Error(`loss ${loss}`);
        // without the early release every step took new buffers for its gradients: 10 × the parameters
        if (grown > 2 * paramBytes) throw new Error(`10 steps took ${grown} bytes of new buffers; the parameters are ${paramBytes}`);
      },
    },
    {
      name: `${memorySteps} training steps without dispose: live GPU bytes stay flat`,
      run: async () => {
        setDefaultDevice('cpu');
        checkFlat(await memoryLoop(memorySteps));
      },
    },
  ];
}

export type { Tensor };
