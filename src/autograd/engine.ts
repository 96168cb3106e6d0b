import { getBackend } from '../backend/registry.js';
import { AutogradError, NumericsError, ShapeError, fmtShape } from '../errors.js';
import type { OpDef } from '../ops/op.js';
import { Tensor } from '../tensor/tensor.js';
import { sameShape } from '../tensor/shape.js';
import { mode, noGrad, enableGrad } from './mode.js';

/**
 * A recorded op application: the edge list of the graph. It lives on its output tensor
 * (`tensor.node`) and holds what the backward rule needs; backward drops those references
 * once used, so buffers saved for backward are freed unless retainGraph is set.
 */
export class Node {
  constructor(
    readonly op: OpDef<unknown>,
    public inputs: readonly Tensor[],
    public attrs: unknown,
  ) {}
  released = false;

  get name(): string {
    return this.op.name;
  }
}

/** Runs an op's forward on the current backend and records it for backward when needed. */
export function apply<A>(op: OpDef<A>, inputs: readonly Tensor[], attrs: A): Tensor {
  const raw = op.forward(getBackend(), inputs, attrs);
  const out = Tensor.fromRaw(raw.data, raw.shape);
  if (mode.checkNumerics) checkFinite(op.name, out);
  if (mode.gradEnabled) {
    for (const t of inputs) {
      if (t.requiresGrad) {
        out.node = new Node(op as OpDef<unknown>, inputs, attrs);
        out.markNonLeafRequiresGrad();
        break;
      }
    }
  }
  if (tracer.onApply !== null) tracer.onApply(op as OpDef<unknown>, inputs, attrs, out);
  return out;
}

/** Observers of every op application (the ONNX exporter traces a forward pass through this). */
export const tracer: { onApply: ((op: OpDef<unknown>, inputs: readonly Tensor[], attrs: unknown, out: Tensor) => void) | null } = {
  onApply: null,
};

function checkFinite(name: string, t: Tensor): void {
  if (t.dtype === 'int32') return;
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (!Number.isFinite(v)) {
      throw new NumericsError(
        `${name}: produced ${v} at flat index ${i} of an output of shape ${fmtShape(t.shape)} (setCheckNumerics is on)`,
      );
    }
  }
}

export interface BackwardOptions {
  /** keep the graph so backward can run through it again */
  retainGraph?: boolean;
  /** record the backward computation itself, for higher-order derivatives */
  createGraph?: boolean;
}

/** Topological order of the graph below `roots`, iterative so deep graphs cannot overflow the stack. */
function topoSort(roots: readonly Tensor[]): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  const stack: { t: Tensor; i: number }[] = [];
  for (const r of roots) {
    if (visited.has(r)) continue;
    visited.add(r);
    stack.push({ t: r, i: 0 });
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const node = top.t.node;
      if (node && node.released) {
        throw new AutogradError(
          `backward: tried to run backward through the graph a second time (at op '${node.name}'); ` +
            'its saved buffers were freed after the first backward. Pass {retainGraph: true} to the first backward call if you need to call it twice.',
        );
      }
      const inputs = node ? node.inputs : [];
      if (top.i < inputs.length) {
        const child = inputs[top.i++]!;
        if (child.requiresGrad && !visited.has(child)) {
          visited.add(child);
          stack.push({ t: child, i: 0 });
        }
      } else {
        order.push(top.t);
        stack.pop();
      }
    }
  }
  return order;
}

/**
 * The reverse walk. Seeds each root with its gradient, visits tensors in reverse topological
 * order, and lets every op's rule turn ∂C/∂output into ∂C/∂input; where a tensor feeds several
 * ops, the contributions add up. Returns the gradients of `wrt` if given, else accumulates
 * into the `.grad` of leaves.
 */
export function runBackward(
  roots: readonly Tensor[],
  rootGrads: readonly Tensor[],
  opts: BackwardOptions & { wrt?: readonly Tensor[] } = {},
): (Tensor | null)[] {
  const createGraph = opts.createGraph ?? false;
  const retainGraph = opts.retainGraph ?? createGraph;
  const order = topoSort(roots);
  const grads = new Map<Tensor, Tensor>();
  roots.forEach((r, i) => accumulate(grads, r, rootGrads[i]!));
  const wrt = opts.wrt ? new Set(opts.wrt) : null;
  const captured = new Map<Tensor, Tensor>();

  const step = (): void => {
    for (let k = order.length - 1; k >= 0; k--) {
      const t = order[k]!;
      const g = grads.get(t);
      if (g === undefined) continue;
      grads.delete(t);
      if (wrt) {
        if (wrt.has(t)) captured.set(t, g);
      } else if (t.node === null || t.retainsGrad) {
        t.grad = t.grad === null ? (createGraph ? g : g.detach()) : accumulateLeaf(t.grad, g, createGraph);
      }
      const node = t.node;
      if (node === null) continue;
      const inGrads = node.op.backward(g, { inputs: node.inputs, out: t, attrs: node.attrs });
      node.inputs.forEach((inp, i) => {
        const gi = inGrads[i];
        if (!inp.requiresGrad || gi === null || gi === undefined) return;
        if (!sameShape(gi.shape, inp.shape)) {
          throw new ShapeError(`${node.name}.backward: rule returned a gradient of shape ${fmtShape(gi.shape)} for input ${i} of shape ${fmtShape(inp.shape)}`);
        }
        accumulate(grads, inp, gi);
      });
      if (!retainGraph) {
        node.released = true;
        node.inputs = [];
        node.attrs = null;
      }
    }
  };
  if (createGraph) enableGrad(step);
  else noGrad(step);
  return opts.wrt ? opts.wrt.map((t) => captured.get(t) ?? null) : [];
}

function accumulate(grads: Map<Tensor, Tensor>, t: Tensor, g: Tensor): void {
  const prev = grads.get(t);
  grads.set(t, prev === undefined ? g : prev.add(g));
}

function accumulateLeaf(prev: Tensor, g: Tensor, createGraph: boolean): Tensor {
  const sum = prev.add(g);
  return createGraph ? sum : sum.detach();
}

/** `loss.backward()`: accumulates ∂loss/∂leaf into every leaf's `.grad`. */
export function backward(root: Tensor, gradient?: Tensor, opts: BackwardOptions = {}): void {
  if (!root.requiresGrad) {
    throw new AutogradError(
      'backward: this tensor does not require grad and has no graph; create the inputs with {requiresGrad: true} (and not inside noGrad)',
    );
  }
  let seed = gradient;
  if (seed === undefined) {
    if (root.size !== 1) {
      throw new AutogradError(
        `backward: grad can be implicitly created only for a scalar output, but this tensor has shape ${fmtShape(root.shape)}; ` +
          'reduce it first (e.g. .sum() or .mean()) or pass a gradient of the same shape: t.backward(gradient)',
      );
    }
    seed = Tensor.onesOf(root.shape, root.dtype);
  } else if (!sameShape(seed.shape, root.shape)) {
    throw new ShapeError(`backward: gradient has shape ${fmtShape(seed.shape)} but the tensor has shape ${fmtShape(root.shape)}`);
  }
  runBackward([root], [seed], opts);
}

/**
 * Gradients of `outputs` w.r.t. `inputs` without touching `.grad`, like `torch.autograd.grad`.
 * @example const [dx] = autogradGrad(y, [x], {createGraph: true});
 */
export function autogradGrad(
  output: Tensor,
  inputs: readonly Tensor[],
  opts: BackwardOptions & { gradOutput?: Tensor; allowUnused?: boolean } = {},
): Tensor[] {
  if (!output.requiresGrad) {
    throw new AutogradError('grad: the output does not depend on any input that requires grad');
  }
  let seed = opts.gradOutput;
  if (seed === undefined) {
    if (output.size !== 1) {
      throw new AutogradError(`grad: the function must return a scalar to differentiate it without a gradOutput, got shape ${fmtShape(output.shape)}`);
    }
    seed = Tensor.onesOf(output.shape, output.dtype);
  }
  const res = runBackward([output], [seed], { ...opts, wrt: inputs });
  return res.map((g, i) => {
    if (g !== null) return g;
    if (!opts.allowUnused) {
      // an input the output does not depend on has a zero gradient
    }
    return Tensor.zerosOf(inputs[i]!.shape, inputs[i]!.dtype);
  });
}
