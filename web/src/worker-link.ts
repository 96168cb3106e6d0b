/** The page's end of a section's worker: started on first use, typed messages both ways. */
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
