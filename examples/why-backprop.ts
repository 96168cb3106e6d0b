/**
 * Why backprop: the gradient of an MLP's cost, two ways.
 *
 * Finite differences nudge each parameter and rerun the network: one extra forward pass per
 * parameter. Backprop gets every ∂C/∂w from one forward and one backward pass. This program
 * measures both for networks from ~10² to ~10⁶ parameters. Where the full finite-difference run
 * would take too long, it times a random sample of parameters and extrapolates.
 *
 * Run: npm run example:why   (add --quick for a shorter run)
 */
import { fileURLToPath } from 'node:url';
import { Generator, Tensor, noGrad, randn, randint, logSoftmax, gather } from '../src/index.js';

export interface Row {
  params: number;
  forwardMs: number;
  backpropMs: number;
  fdMs: number;
  fdSampled: boolean;
  speedup: number;
  backpropOverForward: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function timeit(fn: () => void, minReps = 3, budgetMs = 300): number {
  for (let i = 0; i < 5; i++) fn(); // warm-up: let the JIT settle before timing
  const times: number[] = [];
  const start = performance.now();
  while (times.length < minReps || (performance.now() - start < budgetMs && times.length < 500)) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

/** One row of the table: an MLP din → hidden → 10 with sigmoid units and a cross-entropy cost. */
export function measure(din: number, hidden: number, batch = 64, fdBudgetMs = 1500): Row {
  const g = new Generator(din * 1000 + hidden);
  const x = randn([batch, din], { generator: g });
  const y = randint(0, 10, [batch, 1], { generator: g });
  const w1 = randn([hidden, din], { generator: g }).mul(1 / Math.sqrt(din)).requiresGrad_();
  const b1 = randn([hidden], { generator: g }).mul(0.1).requiresGrad_();
  const w2 = randn([10, hidden], { generator: g }).mul(1 / Math.sqrt(hidden)).requiresGrad_();
  const b2 = randn([10], { generator: g }).mul(0.1).requiresGrad_();
  const params = [w1, b1, w2, b2];
  const count = params.reduce((s, p) => s + p.size, 0);

  const cost = (): Tensor => {
    const a1 = x.matmul(w1.T).add(b1).sigmoid();
    const z2 = a1.matmul(w2.T).add(b2);
    return gather(logSoftmax(z2), 1, y).mean().neg();
  };

  const forwardMs = timeit(() => { noGrad(cost); });
  const backpropMs = timeit(() => {
    for (const p of params) p.grad = null;
    cost().backward();
  });

  // finite differences: two forward passes per parameter (central differences)
  const eps = 1e-3;
  const fdOne = (p: Tensor, i: number): number => {
    const d = p.data;
    const orig = d[i]!;
    d[i] = orig + eps;
    const plus = noGrad(cost).item();
    d[i] = orig - eps;
    const minus = noGrad(cost).item();
    d[i] = orig;
    return (plus - minus) / (2 * eps);
  };
  const perParamEstimate = 2 * forwardMs;
  const fullEstimate = perParamEstimate * count;
  let fdMs: number;
  let fdSampled: boolean;
  if (fullEstimate <= fdBudgetMs) {
    const t0 = performance.now();
    for (const p of params) for (let i = 0; i < p.size; i++) fdOne(p, i);
    fdMs = performance.now() - t0;
    fdSampled = false;
  } else {
    const sample = Math.max(8, Math.min(count, Math.floor(fdBudgetMs / perParamEstimate)));
    const t0 = performance.now();
    for (let s = 0; s < sample; s++) {
      const p = params[g.randint(0, params.length)]!;
      fdOne(p, g.randint(0, p.size));
    }
    fdMs = ((performance.now() - t0) / sample) * count;
    fdSampled = true;
  }
  return { params: count, forwardMs, backpropMs, fdMs, fdSampled, speedup: fdMs / backpropMs, backpropOverForward: backpropMs / forwardMs };
}

export const SIZES: [number, number][] = [[8, 8], [32, 24], [100, 90], [300, 300], [1000, 900]];

function fmtMs(ms: number): string {
  if (ms >= 3_600_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  if (ms >= 60_000) return `${(ms / 60_000).toFixed(1)} min`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  return `${ms.toFixed(2)} ms`;
}

function main(): void {
  const quick = process.argv.includes('--quick');
  const sizes = quick ? SIZES.slice(0, 4) : SIZES;
  console.log('Gradient of an MLP cost (sigmoid hidden layer, 10-way cross-entropy, batch 64)\n');
  console.log('| parameters | forward | backprop (fwd+bwd) | finite differences | speed-up | backprop / forward |');
  console.log('|---:|---:|---:|---:|---:|---:|');
  for (const [din, hidden] of sizes) {
    const r = measure(din, hidden);
    console.log(`| ${r.params.toLocaleString('en-US')} | ${fmtMs(r.forwardMs)} | ${fmtMs(r.backpropMs)} | ${fmtMs(r.fdMs)}${r.fdSampled ? ' (sampled)' : ''} | ${Math.round(r.speedup).toLocaleString('en-US')}× | ${r.backpropOverForward.toFixed(2)}× |`);
  }
  console.log('\nFinite differences cost two forward passes per parameter; backprop costs a small constant times one.');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
