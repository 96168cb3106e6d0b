import test from 'node:test';
import assert from 'node:assert/strict';
import * as bp from '../../src/index.js';
import { Tensor, mul, sum, type SortResult } from '../../src/index.js';
import { decode, decodeAll, loadFixtures, type FixtureCase } from '../nn/pytorch-fixtures.js';

/**
 * The ops of issue 9 against PyTorch 1.13 in float64 (test/fixtures/make_op_fixtures.py): every
 * output, and the gradient of Σ sum(output · seed) w.r.t. every float input, agree to 1e-12
 * relative to max(1, |value|). NaN must meet NaN and ±∞ the same infinity; integer outputs
 * (indices, truth values) must be equal.
 */
const TOL = 1e-12;
/**
 * PyTorch 1.13 computes hardsigmoid's slope as the float32 constant 1/6 (0.16666667163...) even in
 * float64; backprop uses 1/6 exactly, so that gradient agrees only to float32 precision.
 */
const GRAD_TOL: Record<string, number> = { hardsigmoid: 1e-7 };

type Inputs = Record<string, Tensor>;
type Result = Tensor | Tensor[] | SortResult;
const cfg = <T>(c: FixtureCase, k: string): T | undefined => c.config[k] as T | undefined;
/** JSON has no ±Infinity: the generator writes them as strings */
const num = (v: unknown): number => (v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : (v as number));

const runners: Record<string, (c: FixtureCase, x: Inputs) => Result> = {
  sin: (_, x) => bp.sin(x.x!), cos: (_, x) => bp.cos(x.x!), tan: (_, x) => bp.tan(x.x!),
  asin: (_, x) => bp.asin(x.x!), acos: (_, x) => bp.acos(x.x!), atan: (_, x) => bp.atan(x.x!),
  sinh: (_, x) => bp.sinh(x.x!), cosh: (_, x) => bp.cosh(x.x!), log1p: (_, x) => bp.log1p(x.x!), expm1: (_, x) => bp.expm1(x.x!),
  log2: (_, x) => bp.log2(x.x!), log10: (_, x) => bp.log10(x.x!), rsqrt: (_, x) => bp.rsqrt(x.x!),
  reciprocal: (_, x) => bp.reciprocal(x.x!), square: (_, x) => bp.square(x.x!), sign: (_, x) => bp.sign(x.x!),
  floor: (_, x) => bp.floor(x.x!), ceil: (_, x) => bp.ceil(x.x!), round: (_, x) => bp.round(x.x!), trunc: (_, x) => bp.trunc(x.x!),
  isnan: (_, x) => bp.isnan(x.x!), isfinite: (_, x) => bp.isfinite(x.x!),
  nanToNum: (c, x) => bp.nanToNum(x.x!, { nan: cfg(c, 'nan'), posinf: cfg(c, 'posinf'), neginf: cfg(c, 'neginf') }),
  atan2: (_, x) => bp.atan2(x.x!, x.y!),
  fmod: (c, x) => bp.fmod(x.x!, x.y ?? cfg<number>(c, 'other')!),
  remainder: (c, x) => bp.remainder(x.x!, x.y ?? cfg<number>(c, 'other')!),
  lerp: (c, x) => bp.lerp(x.x!, x.end!, x.w ?? cfg<number>(c, 'weight')!),
  addcmul: (c, x) => bp.addcmul(x.x!, x.t1!, x.t2!, { value: cfg(c, 'value') }),
  silu: (_, x) => bp.silu(x.x!), mish: (_, x) => bp.mish(x.x!), selu: (_, x) => bp.selu(x.x!),
  celu: (c, x) => bp.celu(x.x!, cfg(c, 'alpha')),
  hardtanh: (c, x) => bp.hardtanh(x.x!, { minVal: cfg(c, 'minVal'), maxVal: cfg(c, 'maxVal') }),
  relu6: (_, x) => bp.relu6(x.x!), hardswish: (_, x) => bp.hardswish(x.x!), hardsigmoid: (_, x) => bp.hardsigmoid(x.x!),
  logsigmoid: (_, x) => bp.logsigmoid(x.x!), softsign: (_, x) => bp.softsign(x.x!),
  prelu: (_, x) => bp.prelu(x.x!, x.weight!), glu: (c, x) => bp.glu(x.x!, cfg(c, 'dim')),
  prod: (c, x) => bp.prod(x.x!, cfg(c, 'dim'), cfg(c, 'keepdim')),
  cumsum: (c, x) => bp.cumsum(x.x!, cfg<number>(c, 'dim')!),
  cumprod: (c, x) => bp.cumprod(x.x!, cfg<number>(c, 'dim')!),
  norm: (c, x) => bp.norm(x.x!, c.config.p === undefined ? undefined : c.config.p === 'fro' ? 'fro' : num(c.config.p), cfg(c, 'dim'), cfg(c, 'keepdim')),
  std: (c, x) => bp.std(x.x!, cfg(c, 'dim'), { keepdim: cfg(c, 'keepdim'), correction: cfg(c, 'correction') }),
  any: (c, x) => bp.any(x.x!, cfg(c, 'dim'), cfg(c, 'keepdim')),
  all: (c, x) => bp.all(x.x!, cfg(c, 'dim'), cfg(c, 'keepdim')),
  amax: (c, x) => bp.amax(x.x!, cfg(c, 'dim'), cfg(c, 'keepdim')),
  amin: (c, x) => bp.amin(x.x!, cfg(c, 'dim'), cfg(c, 'keepdim')),
  max: (c, x) => bp.max(x.x!, cfg(c, 'dim'), cfg(c, 'keepdim')),
  min: (c, x) => bp.min(x.x!, cfg(c, 'dim'), cfg(c, 'keepdim')),
  topk: (c, x) => bp.topk(x.x!, cfg<number>(c, 'k')!, cfg(c, 'dim'), cfg(c, 'largest')),
  sort: (c, x) => bp.sort(x.x!, cfg(c, 'dim'), cfg(c, 'descending')),
  argsort: (c, x) => bp.argsort(x.x!, cfg(c, 'dim'), cfg(c, 'descending')),
  tril: (c, x) => bp.tril(x.x!, cfg(c, 'diagonal')),
  triu: (c, x) => bp.triu(x.x!, cfg(c, 'diagonal')),
  maskedFill: (c, x) => bp.maskedFill(x.x!, x.mask!, x.value ?? cfg<number>(c, 'value')!),
  scatter: (c, x) => bp.scatter(x.x!, cfg<number>(c, 'dim')!, x.index!, x.src ?? cfg<number>(c, 'value')!),
  scatterAdd: (c, x) => bp.scatterAdd(x.x!, cfg<number>(c, 'dim')!, x.index!, x.src!),
  indexAdd: (c, x) => bp.indexAdd(x.x!, cfg<number>(c, 'dim')!, x.index!, x.source!, { alpha: cfg(c, 'alpha') }),
  takeAlongDim: (c, x) => bp.takeAlongDim(x.x!, x.indices!, cfg(c, 'dim')),
  repeat: (c, x) => bp.repeat(x.x!, cfg<number[]>(c, 'repeats')!),
  tile: (c, x) => bp.tile(x.x!, cfg<number[]>(c, 'dims')!),
  repeatInterleave: (c, x) => bp.repeatInterleave(x.x!, cfg<number | number[]>(c, 'repeats')!, cfg(c, 'dim')),
  flip: (c, x) => bp.flip(x.x!, cfg<number[]>(c, 'dims')!),
  roll: (c, x) => bp.roll(x.x!, cfg<number | number[]>(c, 'shifts')!, cfg(c, 'dims')),
  chunk: (c, x) => bp.chunk(x.x!, cfg<number>(c, 'chunks')!, cfg(c, 'dim')),
  unbind: (c, x) => bp.unbind(x.x!, cfg(c, 'dim')),
  narrow: (c, x) => bp.narrow(x.x!, cfg<number>(c, 'dim')!, cfg<number>(c, 'start')!, cfg<number>(c, 'length')!),
  movedim: (c, x) => bp.movedim(x.x!, cfg<number[]>(c, 'source')!, cfg<number[]>(c, 'destination')!),
  einsum: (c, x) => bp.einsum(cfg<string>(c, 'equation')!, ...Object.values(x)),
  bmm: (_, x) => bp.bmm(x.a!, x.b!), outer: (_, x) => bp.outer(x.a!, x.b!), dot: (_, x) => bp.dot(x.a!, x.b!),
  diag: (c, x) => bp.diag(x.x!, cfg(c, 'diagonal')),
  diagonal: (c, x) => bp.diagonal(x.x!, cfg(c, 'offset'), cfg(c, 'dim1'), cfg(c, 'dim2')),
  trace: (_, x) => bp.trace(x.x!),
};

function outputsOf(r: Result): Tensor[] {
  if (r instanceof Tensor) return [r];
  if (Array.isArray(r)) return r;
  return [r.values, r.indices];
}

/** The largest |a − e| / max(1, |e|), where NaN must meet NaN and an infinity the same one. */
function worstDiff(actual: Tensor, expected: Tensor): number {
  if (actual.shape.join() !== expected.shape.join()) return Infinity;
  const a = actual.data, e = expected.data;
  let worst = 0;
  for (let i = 0; i < e.length; i++) {
    const x = a[i]!, y = e[i]!;
    if (Number.isNaN(y) || Number.isNaN(x)) { if (Number.isNaN(x) !== Number.isNaN(y)) return Infinity; continue; }
    if (!Number.isFinite(y) || !Number.isFinite(x)) { if (x !== y) return Infinity; continue; }
    worst = Math.max(worst, Math.abs(x - y) / Math.max(1, Math.abs(y)));
  }
  return worst;
}

const kinds = new Set<string>();
for (const c of loadFixtures('pytorch-ops.json')) {
  kinds.add(c.kind);
  test(`${c.kind} (${c.config.name}) matches PyTorch`, () => {
    const run = runners[c.kind];
    assert.ok(run, `no runner for ${c.kind}`);
    const inputs = decodeAll(c.inputs);
    const wantsGrad = Object.keys(c.inputGrads ?? {}).length > 0;
    if (wantsGrad) for (const v of Object.values(inputs)) if (v.dtype === 'float64') v.requiresGrad = true;
    const outs = outputsOf(run(c, inputs));
    assert.equal(outs.length, c.outputs.length, 'number of outputs');
    outs.forEach((o, k) => {
      const want = decode(c.outputs[k]!);
      assert.deepEqual(o.shape, want.shape, `output ${k} shape`);
      if (want.dtype === 'int32') {
        assert.equal(o.dtype, 'int32', `output ${k} dtype`);
        assert.deepEqual(Array.from(o.data), Array.from(want.data), `output ${k} values`);
      } else {
        assert.equal(o.dtype, 'float64', `output ${k} dtype`);
        const d = worstDiff(o, want);
        assert.ok(d <= TOL, `output ${k}: worst scaled difference ${d}`);
      }
    });
    if (!wantsGrad) return;
    let total: Tensor | null = null;
    outs.forEach((o, k) => {
      const seed = c.seeds?.[k];
      if (!seed || !o.requiresGrad) return;
      const term = sum(mul(o, decode(seed)));
      total = total === null ? term : total.add(term);
    });
    assert.ok(total !== null, 'no output carries a gradient');
    (total as Tensor).backward();
    const tol = GRAD_TOL[c.kind] ?? TOL;
    for (const [k, g] of Object.entries(decodeAll(c.inputGrads))) {
      const got = inputs[k]!.grad ?? Tensor.fromRaw(new Float64Array(g.size), g.shape);
      const d = worstDiff(got, g);
      assert.ok(d <= tol, `gradient of ${k}: worst scaled difference ${d}`);
    }
  });
}

test('the PyTorch fixtures cover every op of issue 9', () => {
  const ops = [
    'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'atan2', 'sinh', 'cosh', 'log1p', 'expm1', 'log2', 'log10', 'rsqrt', 'reciprocal',
    'square', 'sign', 'floor', 'ceil', 'round', 'trunc', 'fmod', 'remainder', 'lerp', 'addcmul', 'isnan', 'isfinite', 'nanToNum',
    'silu', 'mish', 'selu', 'celu', 'hardtanh', 'relu6', 'hardswish', 'hardsigmoid', 'logsigmoid', 'softsign', 'prelu', 'glu',
    'prod', 'cumsum', 'cumprod', 'norm', 'std', 'any', 'all', 'topk', 'sort', 'argsort', 'max', 'min', 'amax', 'amin',
    'tril', 'triu', 'maskedFill', 'scatter', 'scatterAdd', 'indexAdd', 'takeAlongDim',
    'repeat', 'tile', 'repeatInterleave', 'flip', 'roll', 'chunk', 'unbind', 'narrow', 'movedim',
    'einsum', 'bmm', 'outer', 'dot', 'diag', 'trace',
  ];
  assert.deepEqual(ops.filter((op) => !kinds.has(op)), []);
});
