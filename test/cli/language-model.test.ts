import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as io from '../../src/io/index.js';
import { Generator } from '../../src/index.js';
import { learningRateAt, textPlan } from '../../src/cli/train-text.js';
import { parseGptArchitecture } from '../../src/cli/language-model.js';
import { generateCommand } from '../../src/cli/generate-command.js';
import { loadLanguageModel } from '../../src/cli/language-model.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { noGrad } from '../../src/autograd/mode.js';

/**
 * The language-model commands end to end on a small generated text (no downloads): training
 * prints one JSON line per loss estimate and writes a model file with its vocabulary, generate
 * streams a seeded continuation, and bad flags or bad model files are one-line typed errors.
 */
const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'backprop-lm-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

interface Run { code: number | null; stdout: string; stderr: string }
function run(args: string[]): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, BACKPROP_DEBUG: '' }, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function assertUsageError(r: Run, pattern: RegExp): void {
  assert.equal(r.code, 2, `exit code; stderr: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line expected, got:\n${r.stderr}`);
  assert.match(lines[0]!, pattern);
}

// a small corpus of seeded pseudo-sentences: a few hundred lines over a 20-word vocabulary
const words = 'the cat sat on a mat and then ran to see its old friend who had come home late at night'.split(' ');
const g = new Generator(11);
const lines: string[] = [];
for (let i = 0; i < 300; i++) lines.push(Array.from({ length: 3 + g.randint(0, 6) }, () => words[g.randint(0, words.length)]!).join(' '));
const TEXT = join(tmp, 'corpus.txt');
writeFileSync(TEXT, `${lines.join('\n')}\n`);
const CHARS = [...new Set(readFileSync(TEXT, 'utf8'))].sort();
const MODEL = join(tmp, 'lm.safetensors');
const SPEC = 'gpt:layers=1,heads=2,embd=16,block=8';
const TRAIN = ['train', '--dataset', 'text', '--text', TEXT, '--model', SPEC, '--batch-size', '4', '--eval-interval', '10', '--eval-iters', '2', '--lr', '0.01', '--warmup', '3', '--seed', '0'];

test('train --dataset text: one JSON line per estimate, falling loss, a model file with vocabulary and spec', () => {
  const r = run([...TRAIN, '--iters', '40', '--json', '--out', MODEL]);
  assert.equal(r.code, 0, r.stderr);
  const logs = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, number | null>);
  assert.deepEqual(logs.map((l) => l['iter']), [0, 10, 20, 30, 40]);
  for (const l of logs) {
    assert.deepEqual(Object.keys(l), ['iter', 'trainLoss', 'valLoss', 'tokensPerSecond', 'lr', 'seconds']);
    assert.ok(Number.isFinite(l['trainLoss']) && Number.isFinite(l['valLoss']));
  }
  assert.equal(logs[0]!['tokensPerSecond'], null);
  assert.ok(logs.slice(1).every((l) => (l['tokensPerSecond'] as number) > 0));
  assert.ok((logs[4]!['valLoss'] as number) < (logs[0]!['valLoss'] as number) - 0.5, `val loss ${logs[0]!['valLoss']} → ${logs[4]!['valLoss']}`);
  assert.match(r.stderr, new RegExp(`training gpt:layers=1,heads=2,embd=16,block=8 \\(\\d+ parameters\\) on .*corpus\\.txt: \\d+ train / \\d+ validation characters, vocabulary of ${CHARS.length},`));
  const { metadata, tensors } = io.loadSafetensors(MODEL);
  assert.deepEqual(JSON.parse(metadata!['backprop.vocab']!), CHARS);
  assert.equal(metadata!['backprop.model'], SPEC);
  assert.deepEqual(tensors['transformer.wte.weight']!.shape, [CHARS.length, 16]);
});

test('generate: the prompt then N characters, the same for a seed, different for another', () => {
  const args = ['generate', '--model-file', MODEL, '--prompt', 'the cat', '--tokens', '120', '--temperature', '0.9', '--top-k', '5'];
  const a = run([...args, '--seed', '3']), b = run([...args, '--seed', '3']), c = run([...args, '--seed', '4']);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(a.stdout, b.stdout);
  assert.notEqual(a.stdout, c.stdout);
  assert.ok(a.stdout.startsWith('the cat'));
  assert.equal([...a.stdout].length, 'the cat'.length + 120 + 1);
});

test('generate streams: each character is written as soon as it is drawn, before the next is sampled', async () => {
  const writes: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  // the model's forward passes happen between writes: count forwards seen at each write
  const { GPT } = await import('../../src/nn/gpt.js');
  const forward = GPT.prototype.forward;
  let forwards = 0;
  GPT.prototype.forward = function (this: InstanceType<typeof GPT>, ...a: Parameters<typeof forward>) { forwards++; return forward.apply(this, a); };
  const seenAt: number[] = [];
  process.stdout.write = ((chunk: string | Uint8Array): boolean => { writes.push(String(chunk)); seenAt.push(forwards); return true; }) as typeof process.stdout.write;
  try {
    const code = await generateCommand(['--model-file', MODEL, '--prompt', 'the', '--tokens', '25', '--seed', '1']);
    assert.equal(code, 0);
  } finally {
    process.stdout.write = write;
    GPT.prototype.forward = forward;
  }
  // the prompt, then one write per character right after the forward that drew it, then a newline
  assert.equal(writes.length, 1 + 25 + 1);
  assert.equal(writes[0], 'the');
  assert.deepEqual(seenAt.slice(1, 26), Array.from({ length: 25 }, (_, i) => i + 1));
  assert.ok(writes.slice(1, 26).every((w) => [...w].length === 1 && CHARS.includes(w)));
});

test('generate: unknown prompt characters, missing vocabulary and bad specs are one-line typed errors', () => {
  assertUsageError(run(['generate', '--model-file', MODEL, '--prompt', 'The cat']), /--prompt: character 'T' \(U\+0054\) at position 0 is not in the vocabulary of \d+ characters/);
  assertUsageError(run(['generate']), /--model-file FILE is required/);
  const { tensors, metadata } = io.loadSafetensors(MODEL);
  const without = { ...metadata! };
  delete without['backprop.vocab'];
  const noVocab = join(tmp, 'novocab.safetensors');
  io.saveSafetensors(noVocab, tensors, without);
  assertUsageError(run(['generate', '--model-file', noVocab]), /novocab\.safetensors: not a backprop language model file: __metadata__ has no 'backprop\.vocab' entry/);
  const badSpec = join(tmp, 'badspec.safetensors');
  io.saveSafetensors(badSpec, tensors, { ...metadata!, 'backprop.model': 'gpt:layers=one' });
  assertUsageError(run(['generate', '--model-file', badSpec]), /badspec\.safetensors: __metadata__ 'backprop\.model' is not a valid model spec: .*bad part 'layers=one'/);
  const wrongSize = join(tmp, 'wrongsize.safetensors');
  io.saveSafetensors(wrongSize, tensors, { ...metadata!, 'backprop.model': 'gpt:layers=1,heads=2,embd=32,block=8' });
  assertUsageError(run(['generate', '--model-file', wrongSize]), /the weights do not fit the recorded model/);
  const badVocab = join(tmp, 'badvocab.safetensors');
  io.saveSafetensors(badVocab, tensors, { ...metadata!, 'backprop.vocab': '["a","a"]' });
  assertUsageError(run(['generate', '--model-file', badVocab]), /'backprop\.vocab' is not a valid vocabulary/);
  // a classifier is not a language model, and the other way round
  const mlp = join(tmp, 'mlp.safetensors');
  assert.equal(run(['train', '--epochs', '1', '--out', mlp]).code, 0);
  assertUsageError(run(['generate', '--model-file', mlp]), /holds a 'mlp:2-64-64-2' classifier, not a language model; use 'backprop predict'/);
  assertUsageError(run(['predict', '--model-file', MODEL, '--input', TEXT]), /holds a language model .* use 'backprop generate --model-file .*lm\.safetensors', or 'backprop eval --model-file .* --text FILE'/);
  assertUsageError(run(['eval', '--model-file', MODEL]), /lm\.safetensors holds a language model; pass --text FILE/);
  assertUsageError(run(['eval', '--model-file', mlp, '--text', TEXT]), /eval: --text is for language models; .*mlp\.safetensors holds a classifier/);
});

test('eval of a language model: the loss over every window of the validation part, as an independent sum gives it', async () => {
  const r = run(['eval', '--model-file', MODEL, '--text', TEXT, '--batch-size', '7']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { loss: number; perplexity: number; bitsPerCharacter: number; windows: number; tokens: number };
  assert.deepEqual(Object.keys(out), ['loss', 'perplexity', 'bitsPerCharacter', 'windows', 'tokens']);
  // the same sum, one window at a time, in this process
  const { model, vocab } = loadLanguageModel(MODEL, 'model');
  const ids = vocab.encode(readFileSync(TEXT, 'utf8'));
  const val = ids.subarray(Math.floor(ids.length * 0.9));
  let sum = 0, n = 0;
  for (let s = 0; s + 9 <= val.length; s += 8, n++) {
    const x = Tensor.fromRaw(Int32Array.from(val.subarray(s, s + 8)), [1, 8]), y = Tensor.fromRaw(Int32Array.from(val.subarray(s + 1, s + 9)), [1, 8]);
    sum += noGrad(() => model.loss(x, y)).item();
  }
  assert.equal(out.windows, n);
  assert.equal(out.tokens, 8 * n);
  assert.ok(Math.abs(out.loss - sum / n) < 1e-5, `${out.loss} vs ${sum / n}`);
  assert.ok(Math.abs(out.perplexity - Math.exp(out.loss)) < 1e-9 && Math.abs(out.bitsPerCharacter - out.loss / Math.LN2) < 1e-12);
  // the training part differs, and the whole text has about ten times the windows
  const train = JSON.parse(run(['eval', '--model-file', MODEL, '--text', TEXT, '--split', 'train']).stdout) as { loss: number; windows: number };
  const all = JSON.parse(run(['eval', '--model-file', MODEL, '--text', TEXT, '--split', 'all']).stdout) as { windows: number };
  assert.notEqual(train.loss, out.loss);
  assert.equal(all.windows, Math.floor((ids.length - 9) / 8) + 1);
  // a character the model never saw, and flags for classifiers, are one-line errors
  const other = join(tmp, 'other.txt');
  writeFileSync(other, 'the cat sat on the Mat\n'.repeat(20));
  assertUsageError(run(['eval', '--model-file', MODEL, '--text', other]), /--text .*other\.txt: character 'M' \(U\+004D\) at position \d+ is not in the vocabulary/);
  assertUsageError(run(['eval', '--model-file', MODEL, '--text', TEXT, '--csv', TEXT]), /--csv is not used with a language model/);
  assertUsageError(run(['eval', '--model-file', MODEL, '--text', join(tmp, 'missing.txt')]), /--text .*missing\.txt: no such file/);
});

test('train --dataset text: bad flags exit 2 with one line', () => {
  assertUsageError(run(['train', '--dataset', 'text']), /--dataset text needs --text FILE/);
  assertUsageError(run(['train', '--iters', '5']), /--iters is only used with --dataset text \(got --dataset spirals\)/);
  assertUsageError(run(['train', '--dataset', 'text', '--text', TEXT, '--model', 'mlp:2-8-2']), /--dataset text trains a language model: --model gpt:/);
  assertUsageError(run(['train', '--dataset', 'text', '--text', TEXT, '--model', 'gpt:layers=2,heads=3,embd=16']), /embd 16 must be divisible by heads 3/);
  assertUsageError(run(['train', '--dataset', 'text', '--text', TEXT, '--model', 'gpt:depth=2']), /unknown key 'depth'.*allowed: layers, heads, embd, block/);
  assertUsageError(run(['train', '--dataset', 'text', '--text', TEXT, '--epochs', '2']), /--epochs is not used with --dataset text \(use --iters N\)/);
  assertUsageError(run([...TRAIN, '--beta2', '1.5']), /bad value '1\.5' for --beta2; expected a number in \[0, 1\)/);
  assertUsageError(run([...TRAIN, '--weight-decay', '-1']), /bad value '-1' for --weight-decay/);
  assertUsageError(run([...TRAIN, '--optimizer', 'sgd', '--beta2', '0.9']), /--beta2 is only used with --optimizer adam or adamw/);
  assertUsageError(run([...TRAIN, '--min-lr', '0.5']), /bad value '0\.5' for --min-lr; expected a number in \[0, --lr = 0\.01\]/);
  assertUsageError(run([...TRAIN, '--clip-grad', '0']), /bad value '0' for --clip-grad; expected a number > 0/);
  assertUsageError(run([...TRAIN, '--iters', '2', '--warmup', '3']), /--warmup 3 is longer than the run/);
  const short = join(tmp, 'short.txt');
  writeFileSync(short, 'abcdefghijklmnopqrstuvwxyz');
  assertUsageError(run(['train', '--dataset', 'text', '--text', short, '--model', SPEC]), /validation part \(last 10%\) has 3 characters, fewer than block \+ 1 = 9/);
  assertUsageError(run(['train', '--dataset', 'text', '--text', join(tmp, 'missing.txt')]), /--text .*missing\.txt: no such file/);
  assert.match(run(['train', '--help']).stdout, /--dataset text .*--text FILE/s);
  assert.match(run(['--help']).stdout, /backprop generate/);
  assert.match(run(['generate', '--help']).stdout, /usage: backprop generate --model-file FILE/);
});

test('train --dataset text --resume continues to the same weights as an uninterrupted run', () => {
  const full = join(tmp, 'full.safetensors'), half = join(tmp, 'half.safetensors'), ck = join(tmp, 'run.ckpt');
  // a constant schedule (after warmup), so the 10-step run is the first half of the 20-step one
  const common = [...TRAIN, '--schedule', 'none', '--dropout', '0.1', '--clip-grad', '1'];
  assert.equal(run([...common, '--iters', '20', '--out', full]).code, 0);
  assert.equal(run([...common, '--iters', '10', '--checkpoint', ck]).code, 0);
  assert.ok(existsSync(ck));
  const r = run(['train', '--dataset', 'text', '--text', TEXT, '--resume', ck, '--iters', '20', '--out', half, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { iter: number }).iter), [20]);
  const a = io.loadSafetensors(full).tensors, b = io.loadSafetensors(half).tensors;
  for (const k of Object.keys(a)) assert.deepEqual(Array.from(b[k]!.data), Array.from(a[k]!.data), k);
  assertUsageError(run(['train', '--dataset', 'text', '--text', TEXT, '--resume', ck, '--iters', '5']), /already has 10 steps/);
});

test('the learning-rate schedule is nanoGPT\'s: linear warmup, then a cosine to min-lr', () => {
  const s = { lr: 1e-3, minLr: 1e-4, warmup: 100, total: 2000, cosine: true };
  assert.equal(learningRateAt(0, s), 1e-3 / 101);
  assert.equal(learningRateAt(99, s), 1e-3 * 100 / 101);
  assert.equal(learningRateAt(100, s), 1e-3);
  assert.ok(Math.abs(learningRateAt(1050, s) - 5.5e-4) < 1e-12);
  assert.equal(learningRateAt(2000, s), 1e-4);
  assert.equal(learningRateAt(500, { ...s, cosine: false }), 1e-3);
  assert.deepEqual(parseGptArchitecture('gpt'), { layers: 4, heads: 4, embd: 128, block: 64 });
  assert.deepEqual(parseGptArchitecture('gpt:block=32,layers=2'), { layers: 2, heads: 4, embd: 128, block: 32 });
  void textPlan;
});

test('train --dataset text: a diverged run stops with exit code 2 at the first non-finite estimate, keeping the last good checkpoint', () => {
  const out = join(tmp, 'diverged.safetensors'), ck = join(tmp, 'diverged-ck.safetensors');
  const r = run([...TRAIN.filter((_, i, a) => a[i - 1] !== '--lr' && a[i] !== '--lr'), '--lr', '1e30', '--iters', '20', '--json', '--out', out, '--checkpoint', ck]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /train: the loss estimate \(train NaN, validation NaN\) became non-finite by step 10; stopped without saving .*diverged\.safetensors; .*diverged-ck\.safetensors keeps step 0; lower --lr/);
  assert.equal(existsSync(out), false, 'no model file from a diverged run');
  assert.equal(io.loadCheckpoint(ck).step, 0);
});
