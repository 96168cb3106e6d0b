import type { BatchLog, EpochLog } from '../train/index.js';

/** Where the reporters write: process.stdout, or a capturing stub in tests. */
export interface TextSink {
  write(s: string): unknown;
  columns?: number;
}

/**
 * The TTY progress bar: one line per epoch, redrawn in place at most every 100 ms with the
 * running loss, accuracy and samples/s, then replaced by the epoch summary.
 */
export class ProgressBar {
  private lastDraw = 0;
  private drawn = false;

  constructor(private readonly out: TextSink, private readonly totalEpochs: number, private readonly clock: () => number = Date.now) {}

  batch(log: BatchLog): void {
    const t = this.clock();
    const last = log.batches !== null && log.batch === log.batches;
    if (!last && this.drawn && t - this.lastDraw < 100) return;
    this.lastDraw = t;
    this.drawn = true;
    const width = Math.max(10, Math.min(30, (this.out.columns ?? 80) - 70));
    const frac = log.batches ? Math.min(1, log.batch / log.batches) : 0;
    const filled = Math.round(frac * width);
    const bar = log.batches
      ? `[${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? (filled === width ? '=' : '>') : ''}${' '.repeat(width - filled)}] ${log.batch}/${log.batches}`
      : `batch ${log.batch}`;
    const acc = log.runningAccuracy === null ? '' : `  acc ${pct(log.runningAccuracy)}`;
    this.out.write(`\r\x1b[2Kepoch ${log.epoch}/${this.totalEpochs} ${bar}  loss ${log.runningLoss.toFixed(4)}${acc}  ${Math.round(log.samplesPerSecond)} samples/s`);
  }

  /** Validation is running: say so, since it can take a while on big test sets. */
  validating(): void {
    this.out.write('  evaluating...');
  }

  epoch(log: EpochLog): void {
    this.out.write(`\r\x1b[2K${formatEpochSummary(log, this.totalEpochs)}\n`);
    this.drawn = false;
  }
}

/** The one-line epoch summary used on a TTY and in plain-text logs. */
export function formatEpochSummary(log: EpochLog, totalEpochs: number): string {
  const parts = [
    `epoch ${log.epoch}/${totalEpochs}`,
    `train loss ${log.trainLoss.toFixed(4)}`,
  ];
  if (log.trainAccuracy !== null) parts.push(`train acc ${pct(log.trainAccuracy)}`);
  if (log.testLoss !== null) parts.push(`test loss ${log.testLoss.toFixed(4)}`);
  if (log.testAccuracy !== null) parts.push(`test acc ${pct(log.testAccuracy)}`);
  parts.push(`${log.seconds.toFixed(1)}s`, `${Math.round(log.samplesPerSecond)} samples/s`);
  return parts.join('  ');
}

/**
 * The machine-readable epoch record: exactly these keys in this order, one JSON object per line.
 * @example epochJsonLine(log) // '{"epoch":1,"trainLoss":0.31,"testLoss":0.12,"testAccuracy":0.96,"seconds":4.2,"samplesPerSecond":14285}'
 */
export function epochJsonLine(log: EpochLog): string {
  return JSON.stringify({
    epoch: log.epoch,
    trainLoss: log.trainLoss,
    testLoss: log.testLoss,
    testAccuracy: log.testAccuracy,
    seconds: log.seconds,
    samplesPerSecond: log.samplesPerSecond,
  });
}

function pct(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}
