import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as io from '../../src/io/index.js';
import { Generator } from '../../src/tensor/random.js';
import { requireData, sharedData } from '../helpers/shared-data.js';

// The CLI compiled by the same tsc run as this test (build/src/cli/main.js), so the test never
// runs a stale dist/; it is the file the `backprop` bin (dist/cli/main.js) is compiled from.
const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const MNIST = sharedData('mnist');
const tmp = mkdtempSync(join(tmpdir(), 'backprop-cli-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

/**
 * A CSV shaped like iris (4 measurements, 3 named species, 50 rows each) with well separated
 * classes, made here so behaviour tests need no downloaded data.
 */
function irisLike(path: string, seed = 1): string {
  const g = new Generator(seed);
  const species = ['Iris-setosa', 'Iris-versicolor', 'Iris-virginica'];
  const rows = ['sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm,species'];
  for (let i = 0; i < 150; i++) {
    const k = i % 3;
    const f = [5 + k, 3 - 0.4 * k, 1.5 + 2 * k, 0.2 + 0.9 * k].map((m) => (m + 0.25 * g.normal()).toFixed(2));
    rows.push(`${f.join(',')},${species[k]}`);
  }
  writeFileSync(path, `${rows.join('\n')}\n`);
  return path;
}

/** A CSV shaped like wdbc: an id column, a B/M diagnosis before the features, 200 rows. */
function wdbcLike(path: string): string {
  const g = new Generator(2);
  const names = ['radius_mean', 'texture_mean', 'perimeter_mean', 'area_mean', 'smoothness_mean'];
  const rows = [`id,diagnosis,${names.join(',')}`];
  for (let i = 0; i < 200; i++) {
    const m = i % 3 === 0;
    const f = names.map((_, j) => ((m ? 2 : 0) + j + g.normal()).toFixed(3));
    rows.push(`${842302 + 17 * i},${m ? 'M' : 'B'},${f.join(',')}`);
  }
  writeFileSync(path, `${rows.join('\n')}\n`);
  return path;
}

const IRIS = irisLike(join(tmp, 'iris.csv'));

interface Run { code: number | null; stdout: string; stderr: string }

function run(args: string[], env: Record<string, string> = {}): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, BACKPROP_DEBUG: '', ...env }, timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Sends `signal` to the child as soon as `file` exists (an atomically written checkpoint). */
function signalWhenExists(child: { kill(signal: NodeJS.Signals): boolean }, file: string, signal: NodeJS.Signals): Promise<void> {
  return new Promise<void>((res) => {
    const poll = setInterval(() => {
      if (existsSync(file)) {
        clearInterval(poll);
        child.kill(signal);
        res();
      }
    }, 2);
  });
}

/** Exit 2 and a last stderr line matching `pattern`, without a stack trace (a progress line may come first). */
function assertFailure(r: Run, pattern: RegExp): void {
  assert.equal(r.code, 2, `exit code; stderr: ${r.stderr}`);
  assert.match(r.stderr.trim().split('\n').at(-1)!, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at |internal error/);
}

function jsonLines(s: string): Array<Record<string, number>> {
  return s.trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
}

/** A user error: exit code 2 and exactly one line on stderr, without a stack trace. */
function assertUsageError(r: Run, pattern: RegExp): void {
  assert.equal(r.code, 2, `exit code; stderr: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line expected, got:\n${r.stderr}`);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
}

test('train with no flags fits a small MLP on spirals and prints JSON lines when piped', () => {
  const r = run(['train']);
  assert.equal(r.code, 0, r.stderr);
  const lines = jsonLines(r.stdout);
  assert.equal(lines.length, 30);
  for (const [i, l] of lines.entries()) {
    assert.deepEqual(Object.keys(l), ['epoch', 'trainLoss', 'testLoss', 'testAccuracy', 'seconds', 'samplesPerSecond']);
    assert.equal(l['epoch'], i + 1);
  }
  assert.ok(lines[29]!['testAccuracy']! > 0.95, `accuracy ${lines[29]!['testAccuracy']}`);
  assert.ok(lines[29]!['trainLoss']! < lines[0]!['trainLoss']!);
  assert.match(r.stderr, /training mlp:2-64-64-2/);
});

test('--help works for every command', () => {
  for (const cmd of ['train', 'eval', 'predict']) {
    const r = run([cmd, '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, new RegExp(`usage: backprop ${cmd}`));
    assert.match(r.stdout, /--help, -h/);
  }
  assert.match(run(['train', '--help']).stdout, /--dataset spirals\|moons\|circles\|xor\|blobs\|mnist\|fashion-mnist\|csv\|text/);
  assert.equal(run(['--help']).code, 0);
});

test('bad command lines exit 2 with one line naming the flag and the allowed values', () => {
  assertUsageError(run(['train', '--epoch', '3']), /unknown flag '--epoch' \(did you mean --epochs\?\); allowed: --dataset, /);
  assertUsageError(run(['train', '--dataset', 'cifar10']), /bad value 'cifar10' for --dataset; allowed: spirals, moons, circles, xor, blobs, mnist, fashion-mnist, csv, text/);
  assertUsageError(run(['train', '--optimizer', 'lbfgs']), /bad value 'lbfgs' for --optimizer; allowed: sgd, momentum, adam, adamw/);
  assertUsageError(run(['train', '--lr', 'abc']), /bad value 'abc' for --lr; expected a number > 0/);
  assertUsageError(run(['train', '--model', 'mlp:3-10-2']), /--model mlp:3-10-2: input size 3 does not match spirals, whose samples have 2 features/);
  assertUsageError(run(['train', '--model', 'lenet5']), /--model lenet5 needs 28x28 grayscale images/);
  assertUsageError(run(['fly']), /unknown command 'fly'; allowed: train, eval, predict/);
  assertUsageError(run(['eval']), /--model-file FILE is required/);
  assertUsageError(run(['eval', '--model-file', join(tmp, 'nope.safetensors')]), /--model-file .*nope\.safetensors: no such file/);
  assertUsageError(run(['train', '--resume', join(tmp, 'nope.ckpt')]), /--resume .*nope\.ckpt: no such file/);
  assertUsageError(run(['train', '--dataset', 'mnist', '--data-dir', join(tmp, 'nodata')]), /--data-dir .*nodata: no such directory/);
});

test('train --out, then eval and predict rebuild the model from the file alone', () => {
  const model = join(tmp, 'moons.safetensors');
  const t = run(['train', '--dataset', 'moons', '--epochs', '5', '--seed', '3', '--out', model, '--json']);
  assert.equal(t.code, 0, t.stderr);
  const last = jsonLines(t.stdout).at(-1)!;
  const { metadata } = io.loadSafetensors(model);
  assert.equal(metadata['backprop.model'], 'mlp:2-64-64-2');
  assert.equal(metadata['backprop.dataset'], 'moons');
  assert.equal(metadata['backprop.inputShape'], '[2]');

  // eval draws the same synthetic test split for the same seed: same numbers as training reported
  const e = run(['eval', '--model-file', model, '--seed', '3', '--json']);
  assert.equal(e.code, 0, e.stderr);
  const ev = JSON.parse(e.stdout) as { loss: number; accuracy: number; samples: number };
  assert.equal(ev.samples, 500);
  assert.equal(ev.accuracy, last['testAccuracy']);
  assert.ok(Math.abs(ev.loss - last['testLoss']!) < 1e-6);

  const csv = join(tmp, 'points.csv');
  writeFileSync(csv, 'x,y\n1.0,-0.4\n-1.0,0.5\n0.0,1.0\n');
  const p = run(['predict', '--model-file', model, '--input', csv]);
  assert.equal(p.code, 0, p.stderr);
  assert.deepEqual(p.stdout.trim().split('\n'), ['1', '0', '0']);
  const pj = run(['predict', '--model-file', model, '--input', csv, '--json']);
  const rows = pj.stdout.trim().split('\n').map((l) => JSON.parse(l) as { class: string; index: number; probabilities: number[] });
  assert.deepEqual(rows.map((r) => r.class), ['1', '0', '0']);
  for (const r of rows) assert.ok(Math.abs(r.probabilities.reduce((a, b) => a + b, 0) - 1) < 1e-4);
});

test('corrupt or foreign model files are FormatErrors with exit 2', () => {
  const model = join(tmp, 'xor.safetensors');
  assert.equal(run(['train', '--dataset', 'xor', '--epochs', '1', '--out', model]).code, 0);
  const bytes = readFileSync(model);
  const truncated = join(tmp, 'truncated.safetensors');
  writeFileSync(truncated, bytes.subarray(0, bytes.length - 100));
  assertUsageError(run(['eval', '--model-file', truncated]), /truncated\.safetensors/);
  const garbage = join(tmp, 'garbage.safetensors');
  writeFileSync(garbage, 'this is not a model');
  assertUsageError(run(['predict', '--model-file', garbage, '--input', IRIS]), /garbage\.safetensors/);
  const plain = join(tmp, 'plain.safetensors');
  io.saveSafetensors(plain, io.loadSafetensors(model).tensors, {});
  assertUsageError(run(['eval', '--model-file', plain]), /plain\.safetensors: not a backprop model file/);
  // the stack trace appears only on request
  const debug = run(['eval', '--model-file', garbage], { BACKPROP_DEBUG: '1' });
  assert.equal(debug.code, 2);
  assert.match(debug.stderr, /\n\s+at /);
});

test('CSV training, label mapping, and bad CSV data (labels outside the classes, NaN)', () => {
  const model = join(tmp, 'iris.safetensors');
  const t = run(['train', '--dataset', 'csv', '--csv', IRIS, '--label', 'species', '--epochs', '30', '--batch-size', '16', '--out', model, '--json']);
  assert.equal(t.code, 0, t.stderr);
  assert.ok(jsonLines(t.stdout).at(-1)!['testAccuracy']! > 0.85);
  const e = run(['eval', '--model-file', model, '--csv', IRIS, '--label', 'species', '--json']);
  assert.equal(e.code, 0, e.stderr);
  assert.ok((JSON.parse(e.stdout) as { accuracy: number }).accuracy > 0.85);

  const header = 'sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm,species\n';
  const unknownLabel = join(tmp, 'unknown-label.csv');
  writeFileSync(unknownLabel, `${header}5.1,3.5,1.4,0.2,Iris-setosa\n5.0,3.0,1.0,0.1,Iris-unknown\n`);
  assertUsageError(run(['eval', '--model-file', model, '--csv', unknownLabel, '--label', 'species']),
    /unknown-label\.csv: row 2 has label 'Iris-unknown' in column 'species', outside the model's classes \(Iris-setosa, Iris-versicolor, Iris-virginica\)/);

  const numeric = join(tmp, 'numeric.csv');
  writeFileSync(numeric, 'a,b,label\n0,1,0\n1,0,1\n1,1,-1\n0,0,0\n');
  assertUsageError(run(['train', '--dataset', 'csv', '--csv', numeric, '--label', 'label']), /numeric\.csv: row 3 has label -1 in column 'label'; class labels must be names or integers/);
  const numModel = join(tmp, 'numeric.safetensors');
  writeFileSync(numeric, 'a,b,label\n0,1,0\n1,0,1\n1,1,1\n0,0,0\n0.5,0.5,1\n');
  assert.equal(run(['train', '--dataset', 'csv', '--csv', numeric, '--label', 'label', '--epochs', '1', '--out', numModel]).code, 0);
  const outside = join(tmp, 'outside.csv');
  writeFileSync(outside, 'a,b,label\n0,1,0\n1,0,7\n');
  assertUsageError(run(['eval', '--model-file', numModel, '--csv', outside, '--label', 'label']), /outside\.csv: row 2 has label '7' in column 'label', outside the model's classes \(0, 1\)/);

  const nan = join(tmp, 'nan.csv');
  writeFileSync(nan, `${header}5.1,3.5,1.4,0.2,Iris-setosa\n5.0,NaN,1.0,0.1,Iris-setosa\n`);
  assertUsageError(run(['train', '--dataset', 'csv', '--csv', nan, '--label', 'species']), /nan\.csv: line 3, column 2 \('sepal_width_cm'\): expected a number/);
  const inf = join(tmp, 'inf.csv');
  writeFileSync(inf, 'a,b\n1e999,2\n');
  assertUsageError(run(['predict', '--model-file', numModel, '--input', inf]), /inf\.csv: line 2, column 1 \('a'\): 1e999 is outside the float32 range/);
});

test('CSV with an id column: --drop-columns, and predict/eval pick the trained feature columns by name', () => {
  const WDBC = wdbcLike(join(tmp, 'wdbc.csv'));
  const model = join(tmp, 'wdbc.safetensors');
  const t = run(['train', '--dataset', 'csv', '--csv', WDBC, '--label', 'diagnosis', '--drop-columns', 'id', '--epochs', '10', '--json', '--out', model]);
  assert.equal(t.code, 0, t.stderr);
  const last = jsonLines(t.stdout).pop()!;
  assert.ok(last['testAccuracy']! > 0.9, `wdbc test accuracy ${last['testAccuracy']}`);
  const md = io.loadSafetensors(model).metadata;
  assert.ok(!JSON.parse(md['backprop.featureNames']!).includes('id'));
  // the training file itself, id and label columns included, is a valid predict input
  const p = run(['predict', '--model-file', model, '--input', WDBC]);
  assert.equal(p.code, 0, p.stderr);
  const preds = p.stdout.trim().split('\n');
  assert.equal(preds.length, 200);
  assert.ok(preds.every((c) => c === 'B' || c === 'M'));
  const e = run(['eval', '--model-file', model, '--csv', WDBC, '--label', 'diagnosis', '--json']);
  assert.equal(e.code, 0, e.stderr);
  assert.ok((JSON.parse(e.stdout) as { accuracy: number }).accuracy > 0.9);
  assertUsageError(run(['predict', '--model-file', model, '--input', IRIS]), /column 'radius_mean' is not a column of .*iris\.csv/);
  assertUsageError(run(['train', '--dataset', 'spirals', '--drop-columns', 'id']), /--drop-columns is only used with --dataset csv/);
});

test('MNIST: one epoch on a 2000-sample slice, then predict on the IDX test images', { skip: MNIST.skip }, () => {
  requireData(MNIST);
  const model = join(tmp, 'mnist.safetensors');
  const t = run(['train', '--dataset', 'mnist', '--data-dir', MNIST.path, '--limit', '2000', '--epochs', '1', '--batch-size', '32', '--out', model, '--json']);
  assert.equal(t.code, 0, t.stderr);
  const [line] = jsonLines(t.stdout);
  assert.ok(line!['testAccuracy']! > 0.7, `accuracy ${line!['testAccuracy']}`);
  const p = run(['predict', '--model-file', model, '--input', join(MNIST.path, 't10k-images-idx3-ubyte.gz')]);
  assert.equal(p.code, 0, p.stderr);
  const preds = p.stdout.trim().split('\n');
  assert.equal(preds.length, 10000);
  const labels = io.readIdx(join(MNIST.path, 't10k-labels-idx1-ubyte.gz')).data;
  const correct = preds.filter((c, i) => Number(c) === labels[i]).length;
  assert.ok(correct / 10000 > 0.7, `predict accuracy ${correct / 10000}`);
});

test('a run killed after a checkpoint and resumed ends with bit-identical weights', async () => {
  const args = ['train', '--dataset', 'spirals', '--limit', '400', '--model', 'mlp:2-32-32-2', '--dropout', '0.2', '--schedule', 'cosine', '--epochs', '40', '--batch-size', '16', '--seed', '5', '--json'];
  const full = join(tmp, 'full.safetensors');
  assert.equal(run([...args, '--out', full]).code, 0);

  // the first checkpoint appears atomically after epoch 1; kill the run right then
  const ckpt = join(tmp, 'run.ckpt');
  const child = spawn(process.execPath, [CLI, ...args, '--checkpoint', ckpt], { stdio: 'ignore' });
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  await signalWhenExists(child, ckpt, 'SIGKILL');
  assert.equal(await exited, null, 'the run was killed, not finished');
  const stoppedAt = io.loadCheckpoint(ckpt).epoch;
  assert.ok(stoppedAt >= 1 && stoppedAt < 40, `checkpoint epoch ${stoppedAt}`);

  const resumed = join(tmp, 'resumed.safetensors');
  const r = run(['train', '--dataset', 'spirals', '--limit', '400', '--resume', ckpt, '--epochs', '40', '--json', '--out', resumed]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(jsonLines(r.stdout)[0]!['epoch'], stoppedAt + 1);
  const a = io.loadSafetensors(full).tensors;
  const b = io.loadSafetensors(resumed).tensors;
  assert.deepEqual(Object.keys(b), Object.keys(a));
  for (const k of Object.keys(a)) {
    const bytes = (t: typeof a[string]) => Buffer.from(t!.data.buffer, t!.data.byteOffset, t!.data.byteLength);
    assert.ok(bytes(b[k]).equals(bytes(a[k])), `weights ${k} differ`);
  }
  // resuming a finished run is a usage error, not a silent no-op
  assertUsageError(run(['train', '--dataset', 'spirals', '--limit', '400', '--resume', ckpt, '--epochs', String(stoppedAt)]), /already has \d+ epochs; pass --epochs greater than/);
});

test('Ctrl-C stops training at a batch boundary with exit 130 and points at the checkpoint', async () => {
  const ckpt = join(tmp, 'interrupted.ckpt');
  const child = spawn(process.execPath, [CLI, 'train', '--epochs', '100000', '--checkpoint', ckpt, '--json'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  await signalWhenExists(child, ckpt, 'SIGINT');
  assert.equal(await exited, 130);
  assert.match(stderr, /backprop: interrupted after \d+ complete epochs?; continue with --resume .*interrupted\.ckpt\n$/);
  assert.doesNotMatch(stderr, /\n\s+at /);
});

test('train stops at a non-finite loss with exit 2, naming epoch and step, and keeps the last good checkpoint', () => {
  // plain SGD at lr 1e6 overflows within a few steps; relu used to hide the NaN weights
  const ckpt = join(tmp, 'diverge.ckpt');
  const out = join(tmp, 'diverge.safetensors');
  const first = run(['train', '--optimizer', 'sgd', '--lr', '1e6', '--epochs', '3', '--checkpoint', ckpt, '--out', out, '--json']);
  assertFailure(first, /^train: the (loss|weights .*) became (NaN|-?Infinity) at epoch 1, step \d+ \(batch \d+ of 16\); stopped without saving .*diverge\.safetensors; .*diverge\.ckpt was not written; try a lower --lr \(it was 1000000\)$/);
  assert.ok(!existsSync(out) && !existsSync(ckpt));

  // two good epochs, then a resume at a wild lr: the checkpoint must still hold epoch 2
  const good = run(['train', '--optimizer', 'sgd', '--epochs', '2', '--checkpoint', ckpt, '--json']);
  assert.equal(good.code, 0, good.stderr);
  const before = readFileSync(ckpt);
  const resumed = run(['train', '--resume', ckpt, '--lr', '1e6', '--epochs', '4', '--checkpoint', ckpt, '--out', out, '--json']);
  assertFailure(resumed, /^train: the .* became .* at epoch 3, step (3[3-9]|4\d) \(batch \d+ of 16\); stopped without saving .*diverge\.safetensors; .*diverge\.ckpt keeps epoch 2; try a lower --lr/);
  assert.ok(readFileSync(ckpt).equals(before), 'the checkpoint is the one from epoch 2');
  assert.equal(io.loadCheckpoint(ckpt).epoch, 2);
  assert.ok(!existsSync(out));
});

test('eval and predict refuse a model file with non-finite weights', () => {
  const model = join(tmp, 'circles.safetensors');
  assert.equal(run(['train', '--dataset', 'circles', '--epochs', '1', '--out', model]).code, 0);
  const { tensors, metadata } = io.loadSafetensors(model);
  tensors['2.weight']!.data[5] = NaN;
  const broken = join(tmp, 'nan-weights.safetensors');
  io.saveSafetensors(broken, tensors, metadata);
  const points = join(tmp, 'two-points.csv');
  writeFileSync(points, 'x,y\n0,0\n1,1\n');
  const refusal = /nan-weights\.safetensors: weight '2\.weight' holds NaN at index 5: the model diverged in training \(train it again with a lower --lr\)$/;
  assertUsageError(run(['eval', '--model-file', broken, '--dataset', 'circles']), refusal);
  assertUsageError(run(['predict', '--model-file', broken, '--input', points]), refusal);
});

test('absurd sizes in a spec, a model file or --batch-size fail at once with a typed error', () => {
  const model = join(tmp, 'small.safetensors');
  assert.equal(run(['train', '--epochs', '1', '--out', model]).code, 0);
  const { tensors, metadata } = io.loadSafetensors(model);
  // an 18 KB file whose metadata claims a 5-billion-parameter model used to allocate 19.6 GB
  const huge = join(tmp, 'huge-spec.safetensors');
  io.saveSafetensors(huge, tensors, { ...metadata, 'backprop.model': 'mlp:2-1000000000-2' });
  assertUsageError(run(['eval', '--model-file', huge]), /huge-spec\.safetensors: __metadata__ 'backprop\.model': 'mlp:2-1000000000-2' has 5000000002 parameters, more than the 268435456 \(2\^28\) a model may have/);
  // under the limit, but not what the file holds
  const big = join(tmp, 'big-spec.safetensors');
  io.saveSafetensors(big, tensors, { ...metadata, 'backprop.model': 'mlp:2-10000000-2' });
  assertUsageError(run(['predict', '--model-file', big, '--input', IRIS]), /big-spec\.safetensors: its metadata describes 'mlp:2-10000000-2', which has 50000002 parameters, but the file holds 4482 values/);
  assertUsageError(run(['train', '--model', 'mlp:2-1000000000-2']), /--model: 'mlp:2-1000000000-2' has 5000000002 parameters, more than the 268435456/);
  // few enough parameters, but one batch through the 30M-wide layer would need 30 GB
  assertUsageError(run(['train', '--model', 'mlp:2-30000000-2']), /--model mlp:2-30000000-2: a batch of 256 through its widest layer \(30000000\) needs 30720000000 bytes/);
  assertUsageError(run(['train', '--batch-size', '1e12']), /train: bad value '1e12' for --batch-size; expected an integer in 1\.\.1048576, in digits/);
  assertUsageError(run(['eval', '--model-file', model, '--batch-size', '1000000000000']), /bad value '1000000000000' for --batch-size/);
});

test('--out and --checkpoint are checked before the first epoch, naming the path given', () => {
  const missing = join(tmp, 'no-such-dir', 'm.safetensors');
  const r = run(['train', '--epochs', '30', '--out', missing, '--json']);
  assertUsageError(r, new RegExp(`^train: --out: cannot write ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: the directory .*no-such-dir does not exist$`));
  assert.equal(r.stdout, '', 'no epoch ran');
  assert.doesNotMatch(r.stderr, /\.tmp/);
  const file = join(tmp, 'plain-file');
  writeFileSync(file, 'x');
  assertUsageError(run(['train', '--checkpoint', join(file, 'c.ckpt')]), /^train: --checkpoint: cannot write .*plain-file\/c\.ckpt: a component of its directory is not a directory$/);
  assertUsageError(run(['train', '--checkpoint', tmp]), /^train: --checkpoint: cannot write .*: it is a directory$/);
  const same = join(tmp, 'same.bin');
  assertUsageError(run(['train', '--out', same, '--checkpoint', same]), /--out and --checkpoint are the same file/);
});

test('after a kill during the final --out write, --resume of the finished run writes the model; stale temp files go', () => {
  const args = ['train', '--dataset', 'xor', '--epochs', '3', '--seed', '4', '--json'];
  const ckpt = join(tmp, 'finished.ckpt');
  const full = join(tmp, 'finished-full.safetensors');
  assert.equal(run([...args, '--checkpoint', ckpt, '--out', full]).code, 0);
  // what a kill between the last checkpoint and the rename of --out leaves: no model, a temp file
  const out = join(tmp, 'finished.safetensors');
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
  const stale = join(tmp, `.finished.safetensors.${dead}.1700000000000.0.tmp`);
  writeFileSync(stale, 'half a model');
  const r = run(['train', '--dataset', 'xor', '--resume', ckpt, '--epochs', '3', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /finished.ckpt has finished all 3 epochs; saved its model to .*finished\.safetensors/);
  assert.ok(readFileSync(out).equals(readFileSync(full)), 'the same bytes as the uninterrupted run');
  assert.ok(!existsSync(stale), 'the killed write\'s temp file is removed');
  assertUsageError(run(['train', '--dataset', 'xor', '--resume', ckpt, '--epochs', '3']), /already has 3 epochs; pass --epochs greater than 3 to continue, or --out FILE to save its model/);
});

test('predict refuses input columns the model was not trained on instead of dropping them', () => {
  const model = join(tmp, 'blobs.safetensors');
  assert.equal(run(['train', '--dataset', 'moons', '--epochs', '1', '--out', model]).code, 0);
  const three = join(tmp, 'three-cols.csv');
  writeFileSync(three, 'x,y,z\n1,2,3\n0,1,0\n');
  assertUsageError(run(['predict', '--model-file', model, '--input', three]), /three-cols\.csv: rows have 3 columns, but the model takes 2 features \(pass --label COL to skip a label column\)/);
  const ok = run(['predict', '--model-file', model, '--input', three, '--label', 'z']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout.trim().split('\n').length, 2);

  // a model trained on CSV knows its features, its label and its dropped columns by name
  const irisModel = join(tmp, 'iris-extra.safetensors');
  assert.equal(run(['train', '--dataset', 'csv', '--csv', IRIS, '--label', 'species', '--epochs', '2', '--out', irisModel]).code, 0);
  const withExtra = join(tmp, 'iris-extra.csv');
  const lines = readFileSync(IRIS, 'utf8').trim().split('\n');
  writeFileSync(withExtra, `${lines.map((l, i) => `${l},${i === 0 ? 'petal_hue' : '0.5'}`).join('\n')}\n`);
  assertUsageError(run(['predict', '--model-file', irisModel, '--input', withExtra]),
    /iris-extra\.csv: has a column the model was not trained on \('petal_hue'\); the model takes sepal_length_cm, sepal_width_cm, petal_length_cm, petal_width_cm; pass --label petal_hue to ignore it/);
  // the training file itself (label column included) is fine
  assert.equal(run(['predict', '--model-file', irisModel, '--input', IRIS]).code, 0);
});

test('a CSV with duplicate column names is refused by train, eval and predict', () => {
  const dup = join(tmp, 'dup.csv');
  writeFileSync(dup, 'a,b,a,label\n1,2,3,x\n4,5,6,y\n1,1,1,x\n2,2,2,y\n');
  const re = /dup\.csv: columns 1 and 3 are both named 'a'; column names must be unique/;
  assertUsageError(run(['train', '--dataset', 'csv', '--csv', dup, '--label', 'label']), re);
  const irisModel = join(tmp, 'iris-dup.safetensors');
  assert.equal(run(['train', '--dataset', 'csv', '--csv', IRIS, '--label', 'species', '--epochs', '1', '--out', irisModel]).code, 0);
  const dupIris = join(tmp, 'dup-iris.csv');
  writeFileSync(dupIris, 'sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm,petal_width_cm,species\n5,3,1,0.2,0.2,Iris-setosa\n');
  assertUsageError(run(['eval', '--model-file', irisModel, '--csv', dupIris, '--label', 'species']), /columns 4 and 5 are both named 'petal_width_cm'/);
  assertUsageError(run(['predict', '--model-file', irisModel, '--input', dupIris]), /columns 4 and 5 are both named 'petal_width_cm'/);
});
