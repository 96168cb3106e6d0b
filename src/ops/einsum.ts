import { DTypeError, ShapeError, ValueError, fmtShape } from '../errors.js';
import { promote } from '../tensor/dtype.js';
import { stridesOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { cast } from './elementwise.js';
import { matmul } from './matmul.js';
import { sum } from './reduce.js';
import { expand, permute, reshape } from './shape.js';
import { stridedView } from './strided.js';

// einsum as a plan over existing ops: diagonals (a strided read) for labels repeated within an
// operand, sums for labels only one operand has, then pairwise contractions as one batched
// matmul each ([batch, free A, summed] × [batch, summed, free B]), and a final permute. The
// gradient is that of the ops it runs; there is no einsum kernel.

/** A labelled operand: one label per dim (letters, or '.k' for the k-th broadcast '...' dim). */
interface Term {
  t: Tensor;
  labels: string[];
}

const LETTER = /^[a-zA-Z]$/;

/** Splits a term like 'b...ij' into its letters and where the ellipsis stands (or -1). */
function parseTerm(eq: string, term: string): { letters: string[]; ellipsisAt: number } {
  const letters: string[] = [];
  let ellipsisAt = -1;
  for (let i = 0; i < term.length; i++) {
    const c = term[i]!;
    if (c === '.') {
      if (term.slice(i, i + 3) !== '...' || ellipsisAt >= 0) throw new ValueError(`einsum: '${eq}': '.' may only appear as one '...' per operand`);
      ellipsisAt = letters.length;
      i += 2;
    } else if (LETTER.test(c)) letters.push(c);
    else throw new ValueError(`einsum: '${eq}': invalid subscript '${c}'; use letters a-z, A-Z and '...'`);
  }
  return { letters, ellipsisAt };
}

/**
 * Einstein summation, as torch.einsum: 'ij,jk->ik' (matmul), 'bij,bjk->bik' (batched), 'ii->i'
 * (diagonal), 'ii' (trace), 'i,j->ij' (outer), '...ij->...ji' (transposes with broadcast dims).
 * Without '->' the output is the broadcast dims and then the letters used once, in ASCII order.
 * Size-1 dims broadcast against their label's size; '...' dims missing from an explicit output
 * are summed.
 * @example einsum('ij,jk->ik', a, b) // a.matmul(b)
 */
export function einsum(equation: string, ...operands: (Tensor | readonly Tensor[])[]): Tensor {
  const ops = operands.length === 1 && Array.isArray(operands[0]) ? [...operands[0]] : (operands as Tensor[]);
  const eq = equation.replace(/\s+/g, '');
  const arrow = eq.indexOf('->');
  const lhs = arrow >= 0 ? eq.slice(0, arrow) : eq;
  const terms = lhs.split(',');
  if (ops.length === 0) throw new ValueError(`einsum: '${equation}' needs at least one operand`);
  if (terms.length !== ops.length) throw new ValueError(`einsum: '${equation}' has ${terms.length} input terms but ${ops.length} operands were given`);
  ops.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new DTypeError(`einsum: operand ${i} is not a Tensor`);
    if (t.dtype === 'int32') throw new DTypeError(`einsum: expected floating tensors (float32 or float64), operand ${i} is int32`);
  });
  const parsed = terms.map((term) => parseTerm(equation, term));
  // how many '...' dims each operand has, and the broadcast rank of them all
  const ellipsisDims = parsed.map((p, i) => {
    const rank = ops[i]!.shape.length;
    if (p.ellipsisAt < 0) {
      if (p.letters.length !== rank) throw new ShapeError(`einsum: '${equation}': term ${i} '${terms[i]}' has ${p.letters.length} subscripts but operand ${i} has ${rank} dims (shape ${fmtShape(ops[i]!.shape)})`);
      return 0;
    }
    if (p.letters.length > rank) throw new ShapeError(`einsum: '${equation}': term ${i} '${terms[i]}' has more subscripts than operand ${i} has dims (shape ${fmtShape(ops[i]!.shape)})`);
    return rank - p.letters.length;
  });
  const ellipsisRank = Math.max(0, ...ellipsisDims);
  const dtype = ops.reduce((d, t) => promote(d, t.dtype), ops[0]!.dtype);
  let termsNow: Term[] = parsed.map((p, i) => {
    const e = ellipsisDims[i]!;
    const dots = Array.from({ length: e }, (_, k) => `.${ellipsisRank - e + k}`);
    const labels = p.ellipsisAt < 0 ? [...p.letters] : [...p.letters.slice(0, p.ellipsisAt), ...dots, ...p.letters.slice(p.ellipsisAt)];
    return { t: cast(ops[i]!, dtype), labels };
  });

  // every label's size (size-1 dims broadcast)
  const sizes = new Map<string, number>();
  termsNow.forEach(({ t, labels }, i) => labels.forEach((l, d) => {
    const n = t.shape[d]!, prev = sizes.get(l);
    if (prev === undefined || prev === 1) sizes.set(l, n);
    else if (n !== 1 && n !== prev) {
      const name = l.startsWith('.') ? "a '...' dim" : `'${l}'`;
      throw new ShapeError(`einsum: '${equation}': ${name} has size ${prev} in one place and ${n} in operand ${i} (shape ${fmtShape(t.shape)})`);
    }
  }));

  const dotLabels = Array.from({ length: ellipsisRank }, (_, k) => `.${k}`);
  let output: string[];
  if (arrow >= 0) {
    const out = parseTerm(equation, eq.slice(arrow + 2));
    out.letters.forEach((l, i) => {
      if (!sizes.has(l)) throw new ValueError(`einsum: '${equation}': output subscript '${l}' does not appear in the inputs`);
      if (out.letters.indexOf(l) !== i) throw new ValueError(`einsum: '${equation}': output subscript '${l}' appears more than once`);
    });
    output = out.ellipsisAt < 0 ? out.letters : [...out.letters.slice(0, out.ellipsisAt), ...dotLabels, ...out.letters.slice(out.ellipsisAt)];
  } else {
    const counts = new Map<string, number>();
    for (const p of parsed) for (const l of p.letters) counts.set(l, (counts.get(l) ?? 0) + 1);
    const once = [...counts.entries()].filter(([, c]) => c === 1).map(([l]) => l).sort();
    output = [...dotLabels, ...once];
  }

  // within each operand: diagonals for repeated labels, then sums of labels nobody else needs
  termsNow = termsNow.map((term, i) => {
    let t = takeDiagonals(equation, term);
    const needed = new Set([...output, ...termsNow.filter((_, j) => j !== i).flatMap((o) => o.labels)]);
    const drop = t.labels.map((l, d) => (needed.has(l) ? -1 : d)).filter((d) => d >= 0);
    if (drop.length > 0) t = { t: sum(t.t, drop), labels: t.labels.filter((_, d) => !drop.includes(d)) };
    return t;
  });

  // contract left to right
  let acc = termsNow[0]!;
  for (let i = 1; i < termsNow.length; i++) {
    const later = new Set([...output, ...termsNow.slice(i + 1).flatMap((o) => o.labels)]);
    acc = contract(acc, termsNow[i]!, later, sizes);
  }
  const extra = acc.labels.map((l, d) => (output.includes(l) ? -1 : d)).filter((d) => d >= 0);
  if (extra.length > 0) acc = { t: sum(acc.t, extra), labels: acc.labels.filter((_, d) => !extra.includes(d)) };
  acc = broadcastTo(acc, acc.labels, sizes);
  const perm = output.map((l) => acc.labels.indexOf(l));
  return permute(acc.t, perm);
}

/** One dim per label: repeated labels of a term become a single diagonal dim (a strided read). */
function takeDiagonals(eq: string, term: Term): Term {
  const { t, labels } = term;
  const unique = [...new Set(labels)];
  if (unique.length === labels.length) return term;
  const st = stridesOf(t.shape);
  const strides: number[] = [], shape: number[] = [];
  for (const l of unique) {
    const dims = labels.map((x, d) => (x === l ? d : -1)).filter((d) => d >= 0);
    const n = t.shape[dims[0]!]!;
    if (dims.some((d) => t.shape[d] !== n)) throw new ShapeError(`einsum: '${eq}': the repeated subscript '${l}' spans dims of different sizes in shape ${fmtShape(t.shape)}`);
    strides.push(dims.reduce((s, d) => s + st[d]!, 0));
    shape.push(n);
  }
  return { t: stridedView(t, 0, strides, shape), labels: unique };
}

/** Expands size-1 dims of a term to the full size of their labels (listed in `labels`). */
function broadcastTo(term: Term, labels: readonly string[], sizes: Map<string, number>): Term {
  const target = term.labels.map((l, d) => (labels.includes(l) ? sizes.get(l)! : term.t.shape[d]!));
  if (target.every((n, d) => n === term.t.shape[d])) return term;
  return { t: expand(term.t, target), labels: term.labels };
}

/** a·b summed over the labels both have and no later term needs, as one batched matmul. */
function contract(a: Term, b: Term, later: Set<string>, sizes: Map<string, number>): Term {
  const inB = new Set(b.labels), inA = new Set(a.labels);
  const batch = a.labels.filter((l) => inB.has(l) && later.has(l));
  const summed = a.labels.filter((l) => inB.has(l) && !later.has(l));
  const aFree = a.labels.filter((l) => !inB.has(l));
  const bFree = b.labels.filter((l) => !inA.has(l));
  const shared = [...batch, ...summed];
  const A = broadcastTo(a, shared, sizes), B = broadcastTo(b, shared, sizes);
  const size = (ls: string[], t: Term): number => ls.reduce((p, l) => p * t.t.shape[t.labels.indexOf(l)]!, 1);
  const dimsOf = (ls: string[], t: Term): number[] => ls.map((l) => t.t.shape[t.labels.indexOf(l)]!);
  const nb = size(batch, A), m = size(aFree, A), k = size(summed, A), n = size(bFree, B);
  const am = reshape(permute(A.t, [...batch, ...aFree, ...summed].map((l) => A.labels.indexOf(l))), [nb, m, k]);
  const bm = reshape(permute(B.t, [...batch, ...summed, ...bFree].map((l) => B.labels.indexOf(l))), [nb, k, n]);
  const out = reshape(matmul(am, bm), [...dimsOf(batch, A), ...dimsOf(aFree, A), ...dimsOf(bFree, B)]);
  return { t: out, labels: [...batch, ...aFree, ...bFree] };
}
