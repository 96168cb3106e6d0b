import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProgressBar, epochJsonLine, formatEpochSummary } from '../../src/cli/progress.js';
import type { BatchLog, EpochLog } from '../../src/train/index.js';

const epoch: EpochLog = {
  epoch: 2, trainLoss: 0.25, trainAccuracy: 0.9, testLoss: 0.125, testAccuracy: 0.95, seconds: 1.5, samplesPerSecond: 4000, lr: 0.001,
};

test('the JSON line has exactly the agreed keys in order', () => {
  const line = epochJsonLine(epoch);
  assert.equal(line, '{"epoch":2,"trainLoss":0.25,"testLoss":0.125,"testAccuracy":0.95,"seconds":1.5,"samplesPerSecond":4000}');
  assert.ok(!line.includes('\n'));
});

test('the epoch summary shows losses, accuracies and throughput', () => {
  assert.equal(
    formatEpochSummary(epoch, 5),
    'epoch 2/5  train loss 0.2500  train acc 90.00%  test loss 0.1250  test acc 95.00%  1.5s  4000 samples/s',
  );
  assert.equal(formatEpochSummary({ ...epoch, trainAccuracy: null, testLoss: null, testAccuracy: null }, 5), 'epoch 2/5  train loss 0.2500  1.5s  4000 samples/s');
});

test('the progress bar redraws in place, throttled, and always draws the last batch', () => {
  let out = '';
  let t = 0;
  const bar = new ProgressBar({ write: (s: string) => { out += s; }, columns: 100 }, 3, () => t);
  const log = (batch: number): BatchLog => ({
    epoch: 1, batch, batches: 10, loss: 0.5, runningLoss: 0.5, runningAccuracy: 0.5, samples: batch * 32, samplesPerSecond: 1234.4,
  });
  bar.batch(log(1));
  t = 50;
  bar.batch(log(2)); // within 100 ms: skipped
  t = 60;
  bar.batch(log(10)); // last batch: drawn anyway
  const frames = out.split('\r').filter((s) => s !== '');
  assert.equal(frames.length, 2);
  assert.match(frames[0]!, /epoch 1\/3 \[.*\] 1\/10  loss 0\.5000  acc 50\.00%  1234 samples\/s/);
  assert.match(frames[1]!, /\[=+\] 10\/10/);
  bar.validating();
  assert.ok(out.endsWith('samples/s  evaluating...'));
  bar.epoch(epoch);
  assert.ok(out.endsWith('samples/s\n'));
});
