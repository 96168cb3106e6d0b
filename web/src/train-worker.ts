/**
 * The playground's worker: builds the dataset and the MLP, trains in short slices so pause
 * messages get through, and posts the loss, accuracy and decision-boundary grid. The same
 * worker (another instance) times one backprop gradient against finite differences.
 *
 * Training runs on the chosen device: the CPU, or WebGPU (the model and each batch moved there,
 * the loss and the grid read back with the async forms, since a GPU tensor has no sync reads).
 * Messages are handled one at a time in order (training-loop.ts), as starting WebGPU is asynchronous.
 */
import { Generator, Tensor, data, manualSeed, nn, noGrad, optim, randn, tensor } from '../../src/browser.js';
import { chooseBackend, startDevice, type DeviceInUse, type PageDevice } from './backend-choice.js';
import type { BenchPoint, FromWorker, ToWorker, TrainConfig } from './protocol.js';
import { TrainingLoop } from './training-loop.js';

interface WorkerScope {
  postMessage(m: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;
const post = (m: FromWorker, transfer: Transferable[] = []): void => scope.postMessage(m, transfer);

const backend = chooseBackend();

interface Session {
  run: number;
  config: TrainConfig;
  /** where the model, the data and the grid live */
  device: PageDevice;
  model: nn.Sequential;
  opt: optim.Optimizer;
  loader: data.DataLoader<[Tensor, Tensor]>;
  batches: Iterator<readonly [Tensor, Tensor]>;
  x: Tensor;
  y: Tensor;
  numClasses: number;
  gridX: Tensor;
  extent: [number, number, number, number];
  epoch: number;
  steps: number;
  epochLoss: number;
  epochBatches: number;
  /** epoch mean losses not yet posted */
  pendingLoss: number[];
}

let session: Session | null = null;

function activation(name: TrainConfig['activation']): nn.Module {
  switch (name) {
    case 'relu': return new nn.ReLU();
    case 'tanh': return new nn.Tanh();
    case 'sigmoid': return new nn.Sigmoid();
    case 'gelu': return new nn.GELU();
  }
}

function makeOptimizer(c: TrainConfig, params: Tensor[]): optim.Optimizer {
  switch (c.optimizer) {
    case 'sgd': return new optim.SGD(params, { lr: c.lr });
    case 'momentum': return new optim.SGD(params, { lr: c.lr, momentum: 0.9 });
    case 'adam': return new optim.Adam(params, { lr: c.lr });
  }
}

function mlp(sizes: number[], act: TrainConfig['activation'] | null, gen: Generator): nn.Sequential {
  const layers: nn.Module[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    layers.push(new nn.Linear(sizes[i]!, sizes[i + 1]!, { generator: gen }));
    if (i + 2 < sizes.length && act) layers.push(activation(act));
  }
  return new nn.Sequential(...layers);
}

async function init(c: TrainConfig, run: number): Promise<void> {
  session = null;
  const inUse: DeviceInUse = await startDevice(c.device, backend);
  const device = inUse.device;
  manualSeed(c.seed);
  const gen = new Generator(c.seed);
  const ds = data[c.dataset]({ n: c.n, noise: c.noise, seed: c.seed });
  const model = mlp([2, ...c.hidden, ds.numClasses], c.activation, gen);
  const loader = new data.DataLoader(new data.TensorDataset(ds.x, ds.y), { batchSize: c.batchSize, shuffle: true, generator: new Generator(c.seed + 1) });
  // the grid covers the points with a margin, so the boundary is visible around them
  const xs = ds.x.data;
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let i = 0; i < xs.length; i += 2) {
    x0 = Math.min(x0, xs[i]!); x1 = Math.max(x1, xs[i]!);
    y0 = Math.min(y0, xs[i + 1]!); y1 = Math.max(y1, xs[i + 1]!);
  }
  const mx = (x1 - x0) * 0.1 + 1e-3, my = (y1 - y0) * 0.1 + 1e-3;
  const extent: [number, number, number, number] = [x0 - mx, x1 + mx, y0 - my, y1 + my];
  const g = c.grid;
  const grid = new Float32Array(g * g * 2);
  for (let r = 0; r < g; r++) {
    for (let col = 0; col < g; col++) {
      const k = (r * g + col) * 2;
      grid[k] = extent[0] + ((col + 0.5) / g) * (extent[1] - extent[0]);
      grid[k + 1] = extent[3] - ((r + 0.5) / g) * (extent[3] - extent[2]); // row 0 at the top
    }
  }
  // the same initial weights on every device (made on the CPU from the seed), then moved
  model.to(device);
  session = {
    run, config: c, device, model, opt: makeOptimizer(c, model.parameters()), loader, batches: loader[Symbol.iterator](),
    x: ds.x.to(device), y: ds.y.to(device), numClasses: ds.numClasses, gridX: tensor(grid, { shape: [g * g, 2], device }), extent,
    epoch: 0, steps: 0, epochLoss: 0, epochBatches: 0, pendingLoss: [],
  };
  post({
    type: 'ready', run, backend: backend.name, threads: backend.threads, device: inUse,
    x: Float32Array.from(ds.x.data), y: Int32Array.from(ds.y.data), numClasses: ds.numClasses, params: model.numParameters(),
  });
  await report(false);
}

async function trainStep(s: Session): Promise<void> {
  let next = s.batches.next();
  if (next.done) {
    s.epoch++;
    s.pendingLoss.push(s.epochLoss / Math.max(1, s.epochBatches));
    s.epochLoss = 0;
    s.epochBatches = 0;
    s.batches = s.loader[Symbol.iterator]();
    next = s.batches.next();
  }
  const [xb, yb] = next.value as readonly [Tensor, Tensor];
  s.model.train();
  s.opt.zeroGrad();
  const loss = nn.functional.crossEntropy(s.model.forward(xb.to(s.device)), yb.to(s.device));
  loss.backward();
  s.opt.step();
  s.epochLoss += s.device === 'cpu' ? loss.item() : await loss.itemAsync();
  s.epochBatches++;
  s.steps++;
}

async function report(isRunning: boolean): Promise<void> {
  const s = session;
  if (!s) return;
  const { acc, probs } = noGrad(() => {
    s.model.eval();
    const pred = s.model.forward(s.x).argmax(1);
    return { acc: pred.eq(s.y).to('float32').mean(), probs: s.model.forward(s.gridX).softmax(1) };
  });
  const accuracy = await acc.itemAsync();
  const grid = Float32Array.from(await probs.dataAsync());
  post({
    type: 'progress', run: s.run, epoch: s.epoch, steps: s.steps, loss: s.pendingLoss.splice(0), accuracy,
    grid, extent: s.extent, running: isRunning,
  }, [grid.buffer]);
}

const loop = new TrainingLoop<TrainConfig>({
  init,
  hasSession: () => session !== null,
  step: async () => { await trainStep(session!); return false; },
  report,
  // ~100 ms of steps, then the loss, accuracy and grid
  afterSlice: () => report(true),
  fail: (message) => post({ type: 'error', message }),
});

// ---- backprop vs finite differences --------------------------------------------------------

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Times both ways of getting ∂C/∂θ for a 2-hidden-layer MLP of width `width`. */
function benchOne(width: number): BenchPoint {
  const gen = new Generator(7);
  const model = mlp([8, width, width, 4], 'tanh', gen);
  const x = randn([32, 8], { generator: gen });
  const y = tensor(Array.from({ length: 32 }, (_, i) => i % 4), { dtype: 'int32' });
  const lossOf = (): Tensor => nn.functional.crossEntropy(model.forward(x), y);
  const params = model.parameters();
  const nParams = model.numParameters();
  const bp: number[] = [];
  // the first two runs warm up the JIT and are not counted
  for (let r = -2; r < 5; r++) {
    const t0 = performance.now();
    model.zeroGrad();
    lossOf().backward();
    if (r >= 0) bp.push(performance.now() - t0);
  }
  // central differences: two forward passes per parameter; perturb as many as fit in ~300 ms
  const eps = 1e-3;
  let sampled = 0;
  const t0 = performance.now();
  noGrad(() => {
    for (const p of params) {
      const d = p.data;
      for (let i = 0; i < d.length; i++) {
        const orig = d[i]!;
        d[i] = orig + eps;
        const up = lossOf().item();
        d[i] = orig - eps;
        const down = lossOf().item();
        d[i] = orig;
        if (!Number.isFinite((up - down) / (2 * eps))) throw new Error('finite difference is not finite');
        sampled++;
        if (performance.now() - t0 > 300 && sampled >= 3) return;
      }
    }
  });
  const fdSampled = performance.now() - t0;
  return { params: nParams, backpropMs: median(bp), finiteDiffMs: (fdSampled / sampled) * nParams, sampled };
}

function bench(sizes: number[]): void {
  let i = 0;
  const next = (): void => {
    if (i >= sizes.length) { post({ type: 'bench-done' }); return; }
    // width of an 8 → w → w → 4 MLP with about `target` parameters: w² + 14w + 4
    const target = sizes[i++]!;
    const width = Math.max(1, Math.round((-14 + Math.sqrt(196 + 4 * Math.max(0, target - 4))) / 2));
    try {
      post({ type: 'bench-point', point: benchOne(width) });
    } catch (e) {
      post({ type: 'error', message: e instanceof Error ? e.message : String(e) });
      return;
    }
    setTimeout(next, 0);
  };
  next();
}

scope.onmessage = (e) => {
  const m = e.data;
  if (m.type === 'bench') loop.enqueue(null, async () => bench(m.sizes));
  else loop.handle(m);
};
