import { DTypeError, ValueError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { autogradGrad } from './engine.js';
import { enableGrad, mode } from './mode.js';

/**
 * A tensor, or arrays/objects of them: what grad() differentiates with respect to. The gradient
 * comes back in the same structure.
 * @example
 * const params = { w: randn([3, 2]), b: zeros([2]) } satisfies TensorTree;
 * const g = grad((p: typeof params) => x.matmul(p.w).add(p.b).sum())(params); // g.w [3, 2], g.b [2]
 */
export type TensorTree = Tensor | readonly TensorTree[] | { readonly [key: string]: TensorTree };

function leaves(tree: TensorTree, out: Tensor[] = []): Tensor[] {
  if (tree instanceof Tensor) out.push(tree);
  else if (Array.isArray(tree)) for (const t of tree) leaves(t as TensorTree, out);
  else if (tree !== null && typeof tree === 'object') for (const k of Object.keys(tree)) leaves((tree as Record<string, TensorTree>)[k]!, out);
  else throw new ValueError(`grad: expected a Tensor or an array/object of Tensors, found ${typeof tree}`);
  return out;
}

function rebuild<T extends TensorTree>(tree: T, next: () => Tensor): T {
  if (tree instanceof Tensor) return next() as T;
  if (Array.isArray(tree)) return tree.map((t) => rebuild(t as TensorTree, next)) as unknown as T;
  const o: Record<string, TensorTree> = {};
  for (const k of Object.keys(tree)) o[k] = rebuild((tree as Record<string, TensorTree>)[k]!, next);
  return o as T;
}

/**
 * Returns a function computing fn's value and its gradient w.r.t. the first argument, which may
 * be a tensor or an array/object of tensors; the gradient has the same structure.
 * @example const [loss, g] = valueAndGrad((p) => lossOf(p))({w, b}); g.w, g.b
 */
export function valueAndGrad<T extends TensorTree = Tensor, R extends unknown[] = []>(
  fn: (x: T, ...rest: R) => Tensor,
): (x: T, ...rest: R) => [Tensor, T] {
  return (x: T, ...rest: R) => {
    const originals = leaves(x);
    // nested use (grad of grad): inputs already on a graph are kept, and the graph is built
    const nested = originals.some((t) => t.requiresGrad) && mode.gradEnabled;
    const inputs = originals.map((t) => {
      if (t.dtype === 'int32') throw new DTypeError('grad: cannot differentiate with respect to an int32 tensor');
      return nested && t.requiresGrad ? t : t.detach().requiresGrad_();
    });
    let k = 0;
    const arg = rebuild(x, () => inputs[k++]!);
    const value = enableGrad(() => fn(arg, ...rest));
    if (!(value instanceof Tensor)) throw new ValueError('grad: the function must return a Tensor');
    const grads = value.requiresGrad
      ? autogradGrad(value, inputs, { createGraph: nested })
      : inputs.map((t) => Tensor.zerosOf(t.shape, t.dtype));
    let j = 0;
    return [nested ? value : value.detach(), rebuild(x, () => grads[j++]!)];
  };
}

/**
 * Returns a function computing the gradient of a scalar fn w.r.t. its first argument.
 * @example const d2 = grad(grad((x) => x.pow(3).sum()))(x) // 6x
 */
export function grad<T extends TensorTree = Tensor, R extends unknown[] = []>(fn: (x: T, ...rest: R) => Tensor): (x: T, ...rest: R) => T {
  const vg = valueAndGrad(fn);
  return (x: T, ...rest: R) => vg(x, ...rest)[1];
}
