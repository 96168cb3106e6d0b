/**
 * The message handling both training workers share (the playground's and the language model's).
 * Messages and training slices run one at a time, in order, since starting WebGPU and reading a
 * GPU tensor back are asynchronous; 'pause' also stops the running slice at once. Training goes
 * on in ~100 ms slices behind a zero timeout, so init and pause messages get in between.
 */

/** The messages that start and stop training once a session is built. */
export type RunMessage = { type: 'train' } | { type: 'pause' };

/**
 * The messages every training worker takes. `run` numbers each init; replies carry it so the
 * page can drop replies about an earlier run.
 */
export type LoopMessage<C> = { type: 'init'; config: C; run: number } | RunMessage;

/** What a worker plugs into the loop. */
export interface TrainingWorker<C> {
  /** builds a fresh session from the config, replacing any */
  init(config: C, run: number): Promise<void>;
  /** whether init has built a session to train */
  hasSession(): boolean;
  /** one training step; resolves true to end the slice early (it has just reported) */
  step(): Promise<boolean>;
  /** posts the session's state; `running` says whether training goes on */
  report(running: boolean): Promise<void>;
  /** called after each slice that ran to its end (optional) */
  afterSlice?(): Promise<void>;
  /** posts an error; `initRun` is the run of the init that failed, or null for anything else */
  fail(message: string, initRun: number | null): void;
}

const SLICE_MS = 100;

export class TrainingLoop<C> {
  private running = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly worker: TrainingWorker<C>) {}

  /** Handles a page message (in order, behind whatever runs now). */
  handle(m: LoopMessage<C>): void {
    if (m.type === 'pause') this.running = false; // at once, so the running slice stops
    this.enqueue(m.type === 'init' ? m.run : null, async () => {
      if (m.type === 'init') {
        this.running = false;
        await this.worker.init(m.config, m.run);
      } else if (m.type === 'train') {
        if (!this.worker.hasSession()) throw new Error('train before init');
        if (!this.running) { this.running = true; this.schedule(); }
      } else {
        this.running = false;
        await this.worker.report(false);
      }
    });
  }

  /** Runs `task` after everything queued; its error is posted through the worker's `fail`. */
  enqueue(initRun: number | null, task: () => Promise<void>): void {
    this.queue = this.queue.then(task).catch((err: unknown) => {
      this.running = false;
      this.worker.fail(err instanceof Error ? err.message : String(err), initRun);
    });
  }

  /** Queues the next training slice behind any pending messages. */
  private schedule(): void {
    if (this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.enqueue(null, () => this.slice());
    }, 0);
  }

  private async slice(): Promise<void> {
    if (!this.running || !this.worker.hasSession()) return;
    const t0 = performance.now();
    let ended = false;
    while (!ended && this.running && performance.now() - t0 < SLICE_MS) ended = await this.worker.step();
    if (!ended && this.running) await this.worker.afterSlice?.();
    if (this.running) this.schedule();
  }
}
