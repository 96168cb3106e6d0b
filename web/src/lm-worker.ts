/**
 * The language model's worker: builds a character vocabulary and a GPT for the text, trains it
 * in ~100 ms slices (so pause messages get through), and every few steps posts a loss estimate
 * on both splits and a sample from the model as it is.
 *
 * On WebGPU the model and each batch live on the GPU and losses are read back with itemAsync
 * (one read per step, which also keeps the queued GPU work, and so pause, short); samples are
 * drawn on the CPU from a copy of the weights, as GPT.generate samples on the host.
 * Messages are handled one at a time in order (training-loop.ts), as starting WebGPU is asynchronous.
 */
import { Generator, data, manualSeed, nn, noGrad, optim, type Tensor } from '../../src/browser.js';
import { chooseBackend, startDevice, type DeviceInUse } from './backend-choice.js';
import type { FromLmWorker, LmConfig, LmDevice, ToLmWorker } from './lm-protocol.js';
import { TrainingLoop } from './training-loop.js';

interface WorkerScope {
  postMessage(m: FromLmWorker): void;
  onmessage: ((e: MessageEvent<ToLmWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;
const post = (m: FromLmWorker): void => scope.postMessage(m);

const backend = chooseBackend();

/** Batches per loss estimate: a few, so a report stays short next to the training slices. */
const EVAL_BATCHES = 4;

interface Session {
  run: number;
  config: LmConfig;
  vocab: data.CharVocab;
  train: Int32Array;
  val: Int32Array;
  model: nn.GPT;
  /** where the model trains (the config's device, or the CPU if WebGPU failed to start) */
  device: LmDevice;
  /** on WebGPU, a CPU copy of the model that samples (weights copied in at each report) */
  sampler: nn.GPT | null;
  params: Tensor[];
  opt: optim.Optimizer;
  batches: Generator;
  estimates: Generator;
  step: number;
  /** training tokens and milliseconds since the last report */
  tokens: number;
  ms: number;
}

let session: Session | null = null;

async function init(c: LmConfig, run: number): Promise<void> {
  session = null;
  const inUse: DeviceInUse = await startDevice(c.device, backend);
  const device = inUse.device;
  const vocab = data.CharVocab.fromText(c.text);
  const ids = vocab.encode(c.text);
  const split = Math.floor(ids.length * 0.9);
  const train = ids.slice(0, split), val = ids.slice(split);
  if (val.length < c.block + 1) {
    throw new Error(`the text is too short: its last 10% (${val.length} characters) must hold at least ${c.block + 1} characters for a block of ${c.block}; paste a longer text (about ${10 * (c.block + 1)} characters or more)`);
  }
  manualSeed(c.seed);
  const gptConfig = { vocabSize: vocab.size, blockSize: c.block, nLayer: c.layers, nHead: c.heads, nEmbd: c.embd };
  // initialized on the CPU from the seed, so every device starts from the same weights
  const model = new nn.GPT({ ...gptConfig, generator: new Generator(c.seed) }).to(device);
  const sampler = device === 'cpu' ? null : new nn.GPT({ ...gptConfig, generator: new Generator(c.seed) });
  const params = model.parameters();
  // nanoGPT's AdamW: decay on the matrices and embeddings only
  const opt = new optim.AdamW([
    { params: params.filter((p) => p.shape.length >= 2) },
    { params: params.filter((p) => p.shape.length < 2), weightDecay: 0 },
  ], { lr: c.lr, betas: [0.9, 0.99], weightDecay: 0.1 });
  session = {
    run, config: c, vocab, train, val, model, device, sampler, params, opt,
    batches: new Generator(c.seed + 1), estimates: new Generator(c.seed + 2), step: 0, tokens: 0, ms: 0,
  };
  post({ type: 'ready', run, backend: backend.name, device: inUse, params: model.numParameters(), vocab: vocab.size, trainChars: train.length, valChars: val.length });
  await report(false);
}

async function trainStep(s: Session): Promise<void> {
  const t0 = performance.now();
  const { batchSize, block } = s.config;
  const [x, y] = data.randomTextBatch(s.train, { batchSize, blockSize: block, generator: s.batches });
  s.model.train();
  s.opt.zeroGrad();
  const loss = s.model.loss(x.to(s.device), y.to(s.device));
  loss.backward();
  optim.clipGradNorm(s.params, 1);
  s.opt.step();
  // on the GPU the step is done when its loss can be read: this times it honestly and paces the loop
  if (s.device !== 'cpu') await loss.itemAsync();
  s.step++;
  s.tokens += batchSize * block;
  s.ms += performance.now() - t0;
}

async function estimate(s: Session, ids: Int32Array): Promise<number> {
  let sum = 0;
  for (let i = 0; i < EVAL_BATCHES; i++) {
    const [x, y] = data.randomTextBatch(ids, { batchSize: s.config.batchSize, blockSize: s.config.block, generator: s.estimates });
    const loss = noGrad(() => s.model.loss(x.to(s.device), y.to(s.device)));
    sum += s.device === 'cpu' ? loss.item() : await loss.itemAsync();
  }
  return sum / EVAL_BATCHES;
}

/** The model that samples: the model itself on the CPU, else its CPU copy with the current weights. */
async function samplingModel(s: Session): Promise<nn.GPT> {
  if (!s.sampler) return s.model;
  const from = s.model.parameters(), to = s.sampler.parameters();
  for (let i = 0; i < from.length; i++) to[i]!.data.set(await from[i]!.dataAsync());
  return s.sampler;
}

async function report(isRunning: boolean): Promise<void> {
  const s = session;
  if (!s) return;
  s.model.eval();
  const trainLoss = await estimate(s, s.train), valLoss = await estimate(s, s.val);
  // the same prompt and seed each time, so successive samples show what training changed
  const start = s.vocab.has('\n') ? '\n' : s.vocab.chars[0]!;
  const sampler = await samplingModel(s);
  const ids = sampler.generate(s.vocab.encode(start), s.config.sampleLength, { temperature: 0.8, generator: new Generator(s.config.seed) });
  const sample = s.vocab.decode(ids.subarray(1));
  s.model.train();
  post({
    type: 'progress', run: s.run, step: s.step, trainLoss, valLoss,
    tokensPerSecond: s.ms > 0 ? s.tokens / (s.ms / 1000) : 0, sample, running: isRunning,
  });
  s.tokens = 0;
  s.ms = 0;
}

const loop = new TrainingLoop<LmConfig>({
  init,
  hasSession: () => session !== null,
  // a loss estimate and a sample every evalEvery steps end the slice
  step: async () => {
    const s = session!;
    await trainStep(s);
    if (s.step % s.config.evalEvery !== 0) return false;
    await report(true);
    return true;
  },
  report,
  fail: (message, initRun) => {
    if (initRun !== null) session = null;
    post({ type: 'error', run: initRun ?? session?.run ?? 0, message });
  },
});

scope.onmessage = (e: MessageEvent<ToLmWorker>) => loop.handle(e.data);
