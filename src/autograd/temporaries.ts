/**
 * Backward's temporaries on devices whose memory a garbage collector never sees (the GPU).
 *
 * Every gradient, and every intermediate a backward rule computes, is a fresh buffer that is dead
 * once the rules that read it have run. JS cannot say when a tensor becomes unreachable before a
 * collection, and collections follow JS heap pressure, not GPU memory, so without this each
 * training step would take new GPU buffers. While backward runs, the backends that can record
 * and release allocations report each new buffer; after every step of the walk, a recorded buffer
 * that no pending gradient holds, and that nothing user-visible received (a leaf's `.grad`, a
 * gradient hook, a result of `grad`), goes back to the backend's pool at once.
 */
import type { Backend, Device } from '../backend/backend.js';
import { backendFor } from '../backend/registry.js';
import type { Tensor } from '../tensor/tensor.js';

type Storage = Tensor['storage'];

export class Temporaries {
  private pending: { backend: Backend<Storage>; storage: Storage }[] = [];
  private readonly recorded = new Set<Storage>();
  /** storages user code was given (hooks, results of grad): never released, never owned */
  private readonly exposed = new Set<Storage>();
  /** storages that became a `.grad`, by the tensor whose `.grad` holds them */
  private readonly claims = new Map<Storage, Tensor>();
  private readonly stops: (() => void)[] = [];

  private constructor() {}

  /** Starts recording on the devices of `roots` that can release storage; null if none can. */
  static start(roots: readonly Tensor[]): Temporaries | null {
    const devices = new Set<Device>(roots.map((r) => r.device));
    let t: Temporaries | null = null;
    for (const device of devices) {
      const backend = backendFor(device) as Backend<Storage>;
      if (!backend.recordAllocations || !backend.release) continue;
      t ??= new Temporaries();
      const self = t;
      self.stops.push(backend.recordAllocations((storage) => {
        self.pending.push({ backend, storage });
        self.recorded.add(storage);
      }));
    }
    return t;
  }

  /** User code has `t` now: its storage is never released here. */
  expose(t: Tensor): void {
    this.exposed.add(t.storage);
  }

  /** Runs user code (hooks): what it allocates, and what it is given, may be kept anywhere. */
  exposeDuring<T>(given: Tensor, fn: () => T): T {
    this.expose(given);
    const before = this.pending.length;
    try {
      return fn();
    } finally {
      for (let i = before; i < this.pending.length; i++) this.exposed.add(this.pending[i]!.storage);
    }
  }

  /**
   * `grad` becomes `owner.grad`: it is not released here, and whether the library owns it (may give
   * it back when the gradient is replaced) is returned: only a buffer this backward allocated, that
   * no user code saw and no other `.grad` shares (a second claim disowns the first).
   */
  claim(owner: Tensor, grad: Tensor): boolean {
    const storage = grad.storage;
    const first = this.claims.get(storage);
    if (first !== undefined) {
      if (first !== owner) first.replaceGrad(first.peekGrad(), false);
      return false;
    }
    this.claims.set(storage, owner);
    return this.recorded.has(storage) && !this.exposed.has(storage);
  }

  /** Releases every recorded buffer that none of `live` (the pending gradients) holds. */
  sweep(live: Iterable<Tensor>): void {
    if (this.pending.length === 0) return;
    const held = new Set<Storage>();
    for (const t of live) held.add(t.storage);
    this.pending = this.pending.filter(({ backend, storage }) => {
      if (this.exposed.has(storage) || this.claims.has(storage)) return false;
      if (held.has(storage)) return true;
      backend.release!(storage);
      return false;
    });
  }

  /** Stops recording; what is still pending (an interrupted walk) is left to the collector. */
  stop(): void {
    for (const stop of this.stops.splice(0)) stop();
    this.pending = [];
  }
}
