/**
 * The page's end of a section's worker: the link (started on first use, typed messages both
 * ways) and the section's Train and Pause buttons over it.
 */
import type { RunMessage } from './training-loop.js';

export class WorkerLink<To, From> {
  private worker: Worker | null = null;

  /**
   * `url` is the worker's module (next to the page's bundle); `onFailure` gets the message of a
   * worker that failed to load or threw outside its own error handling.
   */
  constructor(
    private readonly url: URL,
    private readonly name: string,
    private readonly onMessage: (m: From) => void,
    private readonly onFailure: (message: string) => void,
  ) {}

  /** Starts the worker unless it runs already. */
  start(): void {
    if (this.worker) return;
    const w = new Worker(this.url, { type: 'module', name: this.name });
    w.onmessage = (e: MessageEvent<From>) => this.onMessage(e.data);
    w.onerror = (e) => this.onFailure(`worker failed: ${e.message}`);
    this.worker = w;
  }

  /** Posts to the worker; nothing before it has started. */
  send(m: To): void {
    this.worker?.postMessage(m);
  }
}

/**
 * A section's Train and Pause buttons: whether the page has asked its worker to train, which
 * button that leaves live, and the message each sends. The playground and the language model
 * share it so both sections start and stop training the same way.
 */
export class TrainPauseButtons {
  private trainingAsked = false;

  /** `canTrain` says whether there is a model to train yet (Train stays disabled until there is). */
  constructor(
    private readonly train: HTMLButtonElement,
    private readonly pause: HTMLButtonElement,
    private readonly status: HTMLElement,
    private readonly send: (m: RunMessage) => void,
    private readonly canTrain: () => boolean = () => true,
  ) {
    this.update();
  }

  /** Whether the page has asked for training (the worker's own `running` may lag behind). */
  get running(): boolean {
    return this.trainingAsked;
  }

  /** Asks the worker to train. */
  start(): void {
    this.trainingAsked = true;
    this.update();
    this.status.textContent = 'training…';
    this.send({ type: 'train' });
  }

  /** Asks the worker to pause. */
  stop(): void {
    this.markStopped();
    this.send({ type: 'pause' });
  }

  /** Training has ended without a pause message (a reset that re-inits, or a worker error). */
  markStopped(): void {
    this.trainingAsked = false;
    this.update();
  }

  /** Enables the button that applies now; call it again when `canTrain` changes. */
  update(): void {
    this.train.disabled = this.trainingAsked || !this.canTrain();
    this.pause.disabled = !this.trainingAsked;
  }
}
