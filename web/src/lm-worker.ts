/**
 * The language model's worker: builds a character vocabulary and a GPT for the text, trains it
 * in ~100 ms slices (so pause messages get through), and every few steps posts a loss estimate
 * on both splits and a sample from the model as it is.
 */
import { Generator, data, manualSeed, nn, noGrad, optim, type Tensor } from '../../src/browser.js';
import { chooseBackend } from './backend-choice.js';
import type { FromLmWorker, LmConfig, LmDevice, ToLmWorker } from './lm-protocol.js';

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
let running = false;
let timer: ReturnType<typeof setTimeout> | null = null;

/**
 * Where the model trains. The WebGPU backend plugs in here: await initDevice('webgpu'), then
 * build the model and the batches on that device; the training loop stays the same.
 */
function useDevice(device: LmDevice): void {
  if (device !== 'cpu') throw new Error(`the '${device}' device is not available in this build; train on the CPU`);
}

function init(c: LmConfig, run: number): void {
  running = false;
  useDevice(c.device);
  const vocab = data.CharVocab.fromText(c.text);
  const ids = vocab.encode(c.text);
  const split = Math.floor(ids.length * 0.9);
  const train = ids.slice(0, split), val = ids.slice(split);
  if (val.length < c.block + 1) {
    throw new Error(`the text is too short: its last 10% (${val.length} characters) must hold at least ${c.block + 1} characters for a block of ${c.block}; paste a longer text (about ${10 * (c.block + 1)} characters or more)`);
  }
  manualSeed(c.seed);
  const model = new nn.GPT({ vocabSize: vocab.size, blockSize: c.block, nLayer: c.layers, nHead: c.heads, nEmbd: c.embd, generator: new Generator(c.seed) });
  const params = model.parameters();
  // nanoGPT's AdamW: decay on the matrices and embeddings only
  const opt = new optim.AdamW([
    { params: params.filter((p) => p.shape.length >= 2) },
    { params: params.filter((p) => p.shape.length < 2), weightDecay: 0 },
  ], { lr: c.lr, betas: [0.9, 0.99], weightDecay: 0.1 });
  session = {
    run, config: c, vocab, train, val, model, params, opt,
    batches: new Generator(c.seed + 1), estimates: new Generator(c.seed + 2), step: 0, tokens: 0, ms: 0,
  };
  post({ type: 'ready', run, backend: backend.name, device: c.device, params: model.numParameters(), vocab: vocab.size, trainChars: train.length, valChars: val.length });
  report(false);
}

function trainStep(s: Session): void {
  const t0 = performance.now();
  const { batchSize, block } = s.config;
  const [x, y] = data.randomTextBatch(s.train, { batchSize, blockSize: block, generator: s.batches });
  s.model.train();
  s.opt.zeroGrad();
  s.model.loss(x, y).backward();
  optim.clipGradNorm(s.params, 1);
  s.opt.step();
  s.step++;
  s.tokens += batchSize * block;
  s.ms += performance.now() - t0;
}

function estimate(s: Session, ids: Int32Array): number {
  let sum = 0;
  for (let i = 0; i < EVAL_BATCHES; i++) {
    const [x, y] = data.randomTextBatch(ids, { batchSize: s.config.batchSize, blockSize: s.config.block, generator: s.estimates });
    sum += noGrad(() => s.model.loss(x, y).item());
  }
  return sum / EVAL_BATCHES;
}

function report(isRunning: boolean): void {
  const s = session;
  if (!s) return;
  s.model.eval();
  const trainLoss = estimate(s, s.train), valLoss = estimate(s, s.val);
  // the same prompt and seed each time, so successive samples show what training changed
  const start = s.vocab.has('\n') ? '\n' : s.vocab.chars[0]!;
  const ids = s.model.generate(s.vocab.encode(start), s.config.sampleLength, { temperature: 0.8, generator: new Generator(s.config.seed) });
  const sample = s.vocab.decode(ids.subarray(1));
  s.model.train();
  post({
    type: 'progress', run: s.run, step: s.step, trainLoss, valLoss,
    tokensPerSecond: s.ms > 0 ? s.tokens / (s.ms / 1000) : 0, sample, running: isRunning,
  });
  s.tokens = 0;
  s.ms = 0;
}

function fail(e: unknown): void {
  running = false;
  post({ type: 'error', run: session?.run ?? 0, message: e instanceof Error ? e.message : String(e) });
}

function loop(): void {
  timer = null;
  const s = session;
  if (!running || !s) return;
  const t0 = performance.now();
  try {
    // ~100 ms of steps, reporting every evalEvery steps; a zero timeout lets pause messages in
    while (performance.now() - t0 < 100) {
      trainStep(s);
      if (s.step % s.config.evalEvery === 0) {
        report(true);
        break;
      }
    }
  } catch (e) {
    fail(e);
    return;
  }
  timer = setTimeout(loop, 0);
}

scope.onmessage = (e) => {
  const m = e.data;
  try {
    if (m.type === 'init') init(m.config, m.run);
    else if (m.type === 'train') {
      if (!session) throw new Error('train before init');
      if (!running) { running = true; if (timer === null) timer = setTimeout(loop, 0); }
    } else if (m.type === 'pause') {
      running = false;
      report(false);
    }
  } catch (err) {
    if (m.type === 'init') session = null;
    post({ type: 'error', run: m.type === 'init' ? m.run : session?.run ?? 0, message: err instanceof Error ? err.message : String(err) });
  }
};
