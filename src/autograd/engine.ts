import type { Device } from '../backend/backend.js';
import { backendFor } from '../backend/registry.js';
import { AutogradError, DeviceError, NumericsError, ShapeError, fmtShape } from '../errors.js';
import type { OpDef, Raw } from '../ops/op.js';
import { Tensor } from '../tensor/tensor.js';
import { sameShape } from '../tensor/shape.js';
import { mode, noGrad, enableGrad } from './mode.js';
import { Node } from './node.js';
import { Temporaries } from './temporaries.js';

export { Node };

/**
 * Runs an op's forward on the backend of its inputs' device and records it for backward when
 * needed. Inputs must share a device; JS-number scalars (0-d CPU tensors that need no gradient)
 * go along with any device, as in PyTorch.
 */
export function apply<A>(op: OpDef<A>, inputs: readonly Tensor[], attrs: A): Tensor {
  const device = commonDevice(op.name, inputs);
  const ins = device === 'cpu' ? inputs : inputs.map((t) => (t.device === device ? t : moveScalar(t, device)));
  const raw = op.forward(backendFor(device), ins, attrs);
  const out = Tensor.fromRaw(raw.storage, raw.shape);
  if (mode.checkNumerics) checkFinite(op.name, out);
  if (mode.gradEnabled) {
    for (const t of ins) {
      if (t.requiresGrad) {
        out.node = new Node(op as OpDef<unknown>, ins, attrs);
        out.markNonLeafRequiresGrad();
        break;
      }
    }
  }
  if (tracer.onApply !== null) tracer.onApply(op as OpDef<unknown>, ins, attrs, out);
  return out;
}

/** Observers of every op application (the ONNX exporter traces a forward pass through this). */
export const tracer: { onApply: ((op: OpDef<unknown>, inputs: readonly Tensor[], attrs: unknown, out: Tensor) => void) | null } = {
  onApply: null,
};

/**
 * Runs an op's reference composition (used where a backend lacks a fused kernel) and returns its
 * result as the op's output: no graph, and invisible to tracers, which see the op itself.
 */
export function reference(fn: () => Tensor): Raw {
  const observer = tracer.onApply;
  tracer.onApply = null;
  try {
    const t = noGrad(fn);
    return { storage: t.storage, shape: t.shape };
  } finally {
    tracer.onApply = observer;
  }
}

function commonDevice(name: string, inputs: readonly Tensor[]): Device {
  let device: Device = 'cpu';
  let from: Tensor | null = null;
  for (const t of inputs) {
    if (t.device === 'cpu' || t.device === device) continue;
    if (device !== 'cpu') throw deviceMismatch(name, from!, t);
    device = t.device;
    from = t;
  }
  if (device !== 'cpu') {
    for (const t of inputs) {
      if (t.device === 'cpu' && (t.shape.length !== 0 || t.requiresGrad)) throw deviceMismatch(name, from!, t);
    }
  }
  return device;
}

function deviceMismatch(name: string, a: Tensor, b: Tensor): DeviceError {
  return new DeviceError(
    `${name}: expected all tensors on the same device, got '${a.device}' (shape ${fmtShape(a.shape)}) and '${b.device}' (shape ${fmtShape(b.shape)}); move one with .to('${a.device}') first`,
  );
}

/** A JS-number scalar onto the device of the other operands (a cached constant where the backend has them). */
function moveScalar(t: Tensor, device: Device): Tensor {
  const b = backendFor(device);
  const v = t.data;
  return Tensor.fromRaw(b.constant ? b.constant(v[0]!, t.dtype) : b.upload(v.slice()), t.shape);
}

function checkFinite(name: string, t: Tensor): void {
  if (t.dtype === 'int32') return;
  if (t.device !== 'cpu') {
    throw new NumericsError(`${name}: setCheckNumerics works on CPU tensors only; a '${t.device}' tensor would have to be read back after every op (check values with await t.dataAsync())`);
  }
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

/**
 * Options of `backward` and `autogradGrad`: keep the graph for a second pass, or record the
 * backward pass itself to take higher-order derivatives.
 * @example
 * const x = tensor([2], { requiresGrad: true });
 * const [dx] = autogradGrad(x.pow(3).sum(), [x], { createGraph: true }); // 3x² = 12, on a graph
 * dx.sum().backward(); // x.grad = 6x = 12
 */
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
  // a graph of the gradients (createGraph) holds its intermediates: nothing is a temporary then
  const temps = createGraph ? null : Temporaries.start(roots);

  const step = (): void => {
    for (let k = order.length - 1; k >= 0; k--) {
      const t = order[k]!;
      const g0 = grads.get(t);
      if (g0 === undefined) continue;
      grads.delete(t);
      const g = t.gradHooks?.length ? (temps ? temps.exposeDuring(g0, () => runGradHooks(t, g0)) : runGradHooks(t, g0)) : g0;
      if (wrt) {
        if (wrt.has(t)) {
          captured.set(t, g);
          temps?.expose(g);
        }
      } else if (t.node === null || t.retainsGrad) {
        const prev = t.peekGrad();
        if (createGraph && prev !== null) t.replaceGrad(prev, false); // the sum's graph reads prev: never give it back
        const next = prev === null ? (createGraph ? g : g.detach()) : accumulateLeaf(prev, g, createGraph);
        t.replaceGrad(next, temps !== null && temps.claim(t, next));
      }
      const node = t.node;
      if (node === null) {
        temps?.sweep(grads.values());
        continue;
      }
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
      temps?.sweep(grads.values());
    }
  };
  try {
    if (createGraph) enableGrad(step);
    else noGrad(step);
  } finally {
    temps?.stop();
  }
  return opts.wrt ? opts.wrt.map((t) => captured.get(t) ?? null) : [];
}

/** Tensor hooks (registerHook) see the full gradient of t and may replace it. */
function runGradHooks(t: Tensor, g: Tensor): Tensor {
  for (const hook of [...t.gradHooks!]) {
    const r = hook(g);
    if (r === undefined) continue;
    if (!(r instanceof Tensor) || !sameShape(r.shape, t.shape)) {
      throw new ShapeError(`registerHook: a hook returned ${r instanceof Tensor ? `a gradient of shape ${fmtShape(r.shape)}` : typeof r} for a tensor of shape ${fmtShape(t.shape)}; return undefined or a Tensor of the same shape`);
    }
    g = r;
  }
  return g;
}

function accumulate(grads: Map<Tensor, Tensor>, t: Tensor, g: Tensor): void {
  const prev = grads.get(t);
  grads.set(t, prev === undefined ? g : prev.add(g));
}

function accumulateLeaf(prev: Tensor, g: Tensor, createGraph: boolean): Tensor {
  const sum = prev.add(g);
  return createGraph ? sum : sum.detach();
}

/**
 * `loss.backward()` as a function: accumulates ∂loss/∂leaf into every leaf's `.grad`. A
 * non-scalar root needs a `gradient` of its own shape.
 * @example
 * const w = tensor([1, -2], { requiresGrad: true });
 * backward(w.mul(w).sum()); // w.grad = 2w = [2, -4]
 * backward(w.mul(3), tensor([1, 1])); // accumulates: w.grad = [5, -1]
 */
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
    seed = Tensor.onesOf(root.shape, root.dtype, root.device);
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
    seed = Tensor.onesOf(output.shape, output.dtype, output.device);
  }
  const res = runBackward([output], [seed], { ...opts, wrt: inputs });
  return res.map((g, i) => {
    if (g !== null) return g;
    if (!opts.allowUnused) {
      // an input the output does not depend on has a zero gradient
    }
    return Tensor.zerosOf(inputs[i]!.shape, inputs[i]!.dtype, inputs[i]!.device);
  });
}
