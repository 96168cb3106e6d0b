import type { OpDef } from '../ops/op.js';
import type { Tensor } from '../tensor/tensor.js';

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
