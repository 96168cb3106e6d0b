/**
 * ============================================================================
 *  ADAPTER FOR OUR OWN LIBRARY — TO BE FILLED IN BY THE LEAD.
 * ============================================================================
 *
 * Run by the driver (bench/run.ts) once per (peer, group):
 *
 *   node build/bench/own.js --peer backprop-js   --what gemm|mlp|lenet [--quick]
 *   node build/bench/own.js --peer backprop-wasm --what gemm|mlp|lenet [--quick]
 *
 * CONTRACT (identical to bench/peers/tfjs.ts and bench/peers/jax.ts):
 *  - One child process per (peer, what); stdout's last line is ONE JSON object,
 *    either a `GroupResult` or `{"skipped": "<reason>"}` (types in
 *    bench/common.ts). Anything else printed before that line is ignored.
 *    Use `runChild(args, main)`: it prints the line, turns a thrown error into
 *    a skipped line, and exits the process.
 *  - `peer` selects the backend: 'backprop-js' → pure-JS backend,
 *    'backprop-wasm' → wasm backend (e.g. `setBackend('wasm')`).
 *  - Workloads (use the shared constants/helpers so data and timing policy
 *    match the peers: `MLP`, `LENET`, `GEMM_SIZES`, `TRANS`, `glorot`,
 *    `randomF32`, `randomLabels`, `oneHotF32`, `timeIt`, `gemmOpts(quick)`,
 *    `stepOpts(quick)`, `gflops`, `round`):
 *     gemm : for n in 256/512/1024 and trans in NN (A·B), TN (Aᵀ·B), NT (A·Bᵀ),
 *            square n×n float32, using our own transposed-matmul path (not a
 *            materialised transpose unless that is what the library does).
 *            Push `{ n, trans, gflops, ms, reps }` (or `gflops: null, ms: null,
 *            na: reason`).
 *     mlp  : 784-1024-1024-10, sigmoid hidden, mean softmax cross-entropy,
 *            SGD lr 0.1, batch 128. Median ms of: forward up to the scalar
 *            loss (fwdMs); loss + all parameter gradients, no update
 *            (fwdBwdMs); full step incl. the SGD update (stepMs).
 *            samplesPerSec = batch / stepSeconds.
 *     lenet: NCHW or NHWC as the library prefers; conv 6@5×5 pad 2 → relu →
 *            maxpool 2 → conv 16@5×5 valid → relu → maxpool 2 → flatten 400 →
 *            120 → relu → 84 → relu → 10, mean softmax cross-entropy, SGD 0.1,
 *            batch 64. stepMs (median) and samplesPerSec.
 *  - The timed closure must FORCE completion (read the loss / result back)
 *    and free temporaries so memory does not grow across reps.
 *  - Set `maxRssMB: maxRssMB()` at the very end (peak RSS of this process).
 *  - `config` is a one-line description shown in BENCHMARKS.md
 *    (backend, threads, SIMD, ...).
 *  - Something unsupported: put `na: "<reason>"` on that entry (tables show
 *    "n/a"); the whole group unsupported: throw or emit `{ skipped }`.
 */
import {
  type Args, type GemmEntry, type GroupResult, type LenetResult, type MlpResult,
  emit, maxRssMB, parseArgs, runChild,
} from './common.js';

const args: Args = parseArgs();

/** Flip to true once the functions below are implemented. */
const WIRED = false;

async function setup(peer: string): Promise<string> {
  if (peer !== 'backprop-js' && peer !== 'backprop-wasm') throw new Error(`unknown own peer "${peer}"`);
  // TODO(lead): select the backend, e.g. setBackend(peer === 'backprop-wasm' ? 'wasm' : 'js').
  return `backprop ${peer === 'backprop-wasm' ? 'wasm' : 'js'} backend`;
}

async function benchGemm(_quick: boolean): Promise<GemmEntry[]> {
  // TODO(lead): see the contract above; model on benchGemm in bench/peers/tfjs.ts.
  throw new Error('not wired yet');
}

async function benchMlp(_quick: boolean): Promise<MlpResult> {
  // TODO(lead): see the contract above; model on benchMlp in bench/peers/tfjs.ts.
  throw new Error('not wired yet');
}

async function benchLenet(_quick: boolean): Promise<LenetResult> {
  // TODO(lead): see the contract above; model on benchLenet in bench/peers/tfjs.ts.
  throw new Error('not wired yet');
}

if (!WIRED) {
  emit({ skipped: 'not wired yet' });
} else {
  runChild(args, async (): Promise<GroupResult> => {
    const config = await setup(args.peer);
    const res: GroupResult = { peer: args.peer, what: args.what, config, maxRssMB: 0 };
    if (args.what === 'gemm') res.gemm = await benchGemm(args.quick);
    else if (args.what === 'mlp') res.mlp = await benchMlp(args.quick);
    else res.lenet = await benchLenet(args.quick);
    res.maxRssMB = maxRssMB();
    return res;
  });
}
