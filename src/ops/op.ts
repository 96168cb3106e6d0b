import type { Backend, FusedKernelName, Storage } from '../backend/backend.js';
import { backendFor } from '../backend/registry.js';
import { mode } from '../autograd/mode.js';
import type { Tensor } from '../tensor/tensor.js';
// Every op module imports this one, so whichever part of the library is loaded, the fluent
// Tensor methods (x.add(y), loss.backward(), ...) are installed with it.
import './methods.js';

/** What a forward returns: a fresh contiguous storage (on the inputs' device) and its shape. */
export interface Raw {
  storage: Storage;
  shape: readonly number[];
}

/** What a backward rule sees: the op's inputs, its output and its attributes. */
export interface Ctx<A> {
  readonly inputs: readonly Tensor[];
  readonly out: Tensor;
  readonly attrs: A;
}

/**
 * One differentiable op: its forward (kernel calls on the backend of the inputs' device) and its
 * backward rule side by side. The rule returns one gradient per input (null where an input takes
 * none, e.g. indices) and is written with differentiable ops, so applying it under createGraph
 * gives second derivatives.
 */
export interface OpDef<A> {
  readonly name: string;
  forward(b: Backend, inputs: readonly Tensor[], attrs: A): Raw;
  backward(g: Tensor, ctx: Ctx<A>): readonly (Tensor | null)[];
}

export function defineOp<A>(def: OpDef<A>): OpDef<A> {
  return def;
}

/**
 * The backend of `t`'s device if it has the fused kernel `name` and no graph is being recorded,
 * else null. Backward rules use it: a fused gradient kernel is one pass with no graph, but a
 * backward run under createGraph must record differentiable ops, so second derivatives exist;
 * the rule then runs its composition instead.
 */
export function fusedGradBackend(name: FusedKernelName, t: Tensor): Backend | null {
  if (mode.gradEnabled) return null;
  const b = backendFor(t.device);
  return typeof b[name] === 'function' ? b : null;
}
