/**
 * Global autograd switches, kept in one small module so ops can read them cheaply.
 *
 * Grad mode is scoped: `noGrad(fn)`, `enableGrad(fn)` and `setGradEnabled(flag, fn)` set it for
 * fn and restore it afterwards. When fn returns a promise the scope lasts until the promise
 * settles, so `await noGrad(async () => …)` records no graph after its first `await` either.
 * Two implementations of that scope exist:
 * - `PromiseScopes` (every platform, the default): the mode is one global value, and a scope
 *   holds it from its start until its promise settles. Scopes that overlap in time may end in
 *   any order. The caveat: while an async scope is pending, *other* code that runs in between
 *   (an unrelated task resumed at the same await) sees that scope's mode too, exactly as if it
 *   ran inside it. Wrap such concurrent work in its own scope (`enableGrad(…)`) to pin it.
 * - `ContextScopes` (Node: installed by the Node entry `backprop`, see ./async-context-node.ts):
 *   the mode lives in an AsyncLocalStorage, so each async task sees only the scopes it runs
 *   in, with no leak between interleaved tasks. Browsers have no such storage yet.
 */

/** Where the grad mode of the running code is kept; see the module comment. */
export interface GradScopes {
  /** the grad mode in effect for the running code */
  enabled(): boolean;
  /** runs fn with grad mode `enabled`, restored when fn returns, or when its promise settles */
  run<T>(enabled: boolean, fn: () => T): T;
  /** sets grad mode in the innermost enclosing scope (restored when that scope ends), or globally outside any */
  set(enabled: boolean): void;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (typeof v === 'object' || typeof v === 'function') && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

/**
 * One global mode; a scope is an entry in the list of scopes not yet ended.
 * @example useGradScopes(new PromiseScopes()) // what browsers use
 */
export class PromiseScopes implements GradScopes {
  private base = true;
  // scopes in order of entry; the latest still running decides the mode
  private readonly active: { enabled: boolean }[] = [];

  enabled(): boolean {
    const n = this.active.length;
    return n === 0 ? this.base : this.active[n - 1]!.enabled;
  }

  run<T>(enabled: boolean, fn: () => T): T {
    const entry = { enabled };
    this.active.push(entry);
    let result: T;
    try {
      result = fn();
    } catch (e) {
      this.end(entry);
      throw e;
    }
    if (!isThenable(result)) {
      this.end(entry);
      return result;
    }
    return result.then(
      (v) => { this.end(entry); return v; },
      (e: unknown) => { this.end(entry); throw e; },
    ) as T;
  }

  set(enabled: boolean): void {
    const n = this.active.length;
    if (n === 0) this.base = enabled;
    else this.active[n - 1]!.enabled = enabled;
  }

  private end(entry: { enabled: boolean }): void {
    const i = this.active.lastIndexOf(entry);
    if (i >= 0) this.active.splice(i, 1);
  }
}

/** The part of Node's AsyncLocalStorage that ContextScopes uses. */
export interface AsyncStorage<S> {
  getStore(): S | undefined;
  run<R>(store: S, fn: () => R): R;
}

/**
 * The mode per async context: each task sees the scopes it was started in, and no others.
 * @example useGradScopes(new ContextScopes(new AsyncLocalStorage()))
 */
export class ContextScopes implements GradScopes {
  private base = true;

  constructor(private readonly storage: AsyncStorage<{ enabled: boolean }>) {}

  enabled(): boolean {
    return this.storage.getStore()?.enabled ?? this.base;
  }

  run<T>(enabled: boolean, fn: () => T): T {
    return this.storage.run({ enabled }, fn);
  }

  set(enabled: boolean): void {
    const store = this.storage.getStore();
    if (store) store.enabled = enabled;
    else this.base = enabled;
  }
}

let scopes: GradScopes = new PromiseScopes();

/** @internal replaces the scope implementation (the Node entry installs ContextScopes); returns the previous one */
export function useGradScopes(next: GradScopes): GradScopes {
  const prev = scopes;
  scopes = next;
  return prev;
}

export const mode = {
  /** whether ops record the graph here; set it through noGrad / enableGrad / setGradEnabled */
  get gradEnabled(): boolean {
    return scopes.enabled();
  },
  checkNumerics: false,
};

/**
 * Runs fn without recording a graph, like `torch.no_grad()`. An async fn stays in no-grad mode
 * until its promise settles (see the module comment for how that interleaves with other tasks).
 * @example const pred = noGrad(() => model.forward(x));
 * @example const acc = await noGrad(async () => { await nextBatch(); return model.forward(x); });
 */
export function noGrad<T>(fn: () => T): T {
  return scopes.run(false, fn);
}

/**
 * Runs fn with graph recording on, even inside noGrad, like `torch.enable_grad()`.
 * @example noGrad(() => enableGrad(() => x.mul(2))).requiresGrad // true
 */
export function enableGrad<T>(fn: () => T): T {
  return scopes.run(true, fn);
}

/**
 * Sets grad mode, like `torch.set_grad_enabled`. With fn, runs fn in that mode and restores the
 * previous mode afterwards (as noGrad / enableGrad do); without, sets it in the enclosing scope,
 * or globally when called outside every scope.
 * @example setGradEnabled(isTraining, () => model.forward(x))
 */
export function setGradEnabled(enabled: boolean): void;
export function setGradEnabled<T>(enabled: boolean, fn: () => T): T;
export function setGradEnabled<T>(enabled: boolean, fn?: () => T): T | void {
  if (fn === undefined) {
    scopes.set(enabled);
    return;
  }
  return scopes.run(enabled, fn);
}

/** Whether ops record the graph here. @example noGrad(() => isGradEnabled()) // false */
export function isGradEnabled(): boolean {
  return scopes.enabled();
}

/**
 * When on, every op checks its float output for NaN/Inf and throws a NumericsError naming the op,
 * like `torch.autograd.set_detect_anomaly`; use it to find where a loss turns NaN (it slows every op).
 * @example
 * setCheckNumerics(true);
 * tensor([0]).log(); // throws NumericsError: log: produced -Infinity ...
 * setCheckNumerics(false);
 */
export function setCheckNumerics(on: boolean): void {
  mode.checkNumerics = on;
}
