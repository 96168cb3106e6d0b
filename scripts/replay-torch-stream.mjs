/**
 * Trains backprop's GPT on PyTorch's random stream: the initial weights and the training windows
 * that scripts/nanogpt-reference.py drew (its DUMP.json), each step through the CLI's
 * textTrainingStep in float32, then prints the loss on the whole validation split, the number that
 * script prints as "final full-val". Equal numbers mean the two trainings compute the same thing.
 *
 *   npm run build && node scripts/replay-torch-stream.mjs DUMP.json [../shared/data/tinyshakespeare/input.txt]
 */
import { existsSync, readFileSync } from 'node:fs';
import { Generator, nn, Tensor } from '../dist/index.js';
import { makeOptimizer } from '../dist/cli/optimizers.js';
import { learningRateAt, textLoss, textTrainingStep } from '../dist/cli/train-text.js';
import { CharVocab } from '../dist/data/text.js';

const [dumpFile, textFile = '../shared/data/tinyshakespeare/input.txt'] = process.argv.slice(2);
if (!dumpFile) {
  console.error('usage: node scripts/replay-torch-stream.mjs DUMP.json [TEXT]');
  process.exit(2);
}
/** A file's text, or exit 2 naming the file and what it should be. */
function readOrExit(file, what) {
  if (!existsSync(file)) {
    console.error(`replay-torch-stream: ${file} does not exist; expected ${what}`);
    process.exit(2);
  }
  return readFileSync(file, 'utf8');
}
const dump = JSON.parse(readOrExit(dumpFile, 'the DUMP.json that scripts/nanogpt-reference.py writes (its 5th argument)'));
if (!dump.initial || !Array.isArray(dump.starts)) {
  console.error(`replay-torch-stream: ${dumpFile} has no 'initial' weights or 'starts' list; expected the DUMP.json of scripts/nanogpt-reference.py`);
  process.exit(2);
}
const text = readOrExit(textFile, 'the text the reference trained on (tiny Shakespeare)');
const vocab = CharVocab.fromText(text), ids = vocab.encode(text);
const split = Math.floor(ids.length * 0.9), train = ids.subarray(0, split), val = ids.subarray(split);
const T = 64;

const model = new nn.GPT({ vocabSize: vocab.size, blockSize: T, nLayer: 4, nHead: 4, nEmbd: 128, generator: new Generator(0) });
const state = {};
for (const [k, v] of Object.entries(dump.initial)) {
  const bytes = Buffer.from(v.base64, 'base64');
  // the reference names its modules as nanoGPT's GPT.transformer holds them
  state[`transformer.${k}`] = Tensor.fromRaw(new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)), v.shape);
}
model.loadStateDict(state);
const optimizer = makeOptimizer('adamw', model.parameters(), 1e-3, { weightDecay: 0.1, beta2: 0.99, decayMatricesOnly: true });
const schedule = { lr: 1e-3, minLr: 1e-4, warmup: 100, total: dump.starts.length, cosine: true };

/** x, y windows of `ids` starting at `starts`. */
function windows(source, starts) {
  const x = new Int32Array(starts.length * T), y = new Int32Array(starts.length * T);
  starts.forEach((s, j) => {
    x.set(source.subarray(s, s + T), j * T);
    y.set(source.subarray(s + 1, s + 1 + T), j * T);
  });
  return [Tensor.fromRaw(x, [starts.length, T]), Tensor.fromRaw(y, [starts.length, T])];
}

const t0 = performance.now();
dump.starts.forEach((starts, it) => {
  const [x, y] = windows(train, starts);
  const { loss } = textTrainingStep(model, optimizer, x, y, learningRateAt(it, schedule), 1);
  if (it % 250 === 0) console.log(`step ${it} loss ${loss.item().toFixed(4)} ${((performance.now() - t0) / 1000).toFixed(0)} s`);
});

const full = await textLoss(model, val, T);
console.log(`seed ${dump.seed} replayed: full-val ${full.loss.toFixed(4)} over ${full.windows} windows`);
