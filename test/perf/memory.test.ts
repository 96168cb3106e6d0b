/**
 * Memory stays flat over a long training loop written the way a user writes it: no dispose, no
 * tidy, just `opt.zeroGrad(); loss.backward(); opt.step()`. The loop runs in a child process
 * (one per backend) so the RSS measured is the loop's alone, sampled every SAMPLE_EVERY steps.
 *
 * The same file is the child: `node memory.test.js --memory-child <backend>` runs the loop and
 * prints the samples as one JSON line.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { getHeapSpaceStatistics } from 'node:v8';
import { Generator, data, nativeInfo, nn, optim, setBackend } from '../../src/index.js';
import { wasmAvailable } from '../../src/backend/wasm/index.js';

const STEPS = 20_000;
const SAMPLE_EVERY = 500;
const BASELINE_STEP = 1_000;
/** the max over this many final samples is compared with the baseline */
const LAST_SAMPLES = 6;
const MAX_GROWTH = 0.10;

interface Sample {
  step: number;
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  /** committed bytes per V8 heap space (new_space, old_space, code_space, ...), to tell what grew */
  spaces: Record<string, number>;
}

interface ChildReport {
  backend: string;
  samples: Sample[];
  seconds: number;
  finalLoss: number;
}

function sample(step: number): Sample {
  const m = process.memoryUsage();
  const spaces: Record<string, number> = {};
  for (const sp of getHeapSpaceStatistics()) spaces[sp.space_name] = sp.space_size;
  return { step, rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, spaces };
}

/** 2-32-32-2 MLP on two moons, batch 32, SGD with momentum: a small model, so per-step overheads dominate. */
function childMain(backend: string): void {
  setBackend(backend);
  const { x, y } = data.moons({ n: 1024, noise: 0.1, seed: 7 });
  const loader = new data.DataLoader(new data.TensorDataset(x, y), { batchSize: 32, shuffle: true, generator: new Generator(3) });
  const g = new Generator(5);
  const model = new nn.Sequential(
    new nn.Linear(2, 32, { generator: g }), new nn.ReLU(),
    new nn.Linear(32, 32, { generator: g }), new nn.ReLU(),
    new nn.Linear(32, 2, { generator: g }),
  );
  const opt = new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
  const samples: Sample[] = [];
  const t0 = performance.now();
  let step = 0;
  let lastLoss = NaN;
  while (step < STEPS) {
    for (const [xb, yb] of loader) {
      opt.zeroGrad();
      const loss = nn.functional.crossEntropy(model.forward(xb), yb);
      loss.backward();
      opt.step();
      step++;
      if (step % 100 === 0) lastLoss = loss.item(); // users log the loss now and then
      if (step % SAMPLE_EVERY === 0) samples.push(sample(step));
      if (step >= STEPS) break;
    }
  }
  const report: ChildReport = { backend, samples, seconds: (performance.now() - t0) / 1000, finalLoss: lastLoss };
  process.stdout.write(JSON.stringify(report) + '\n');
}

function runChild(backend: string): ChildReport {
  const file = fileURLToPath(import.meta.url);
  // a fixed young generation: V8 otherwise resizes its nursery (8 → 16 MiB) whenever the
  // allocation rate suggests it, a one-time step in RSS that is sizing, not memory held
  const v8Flags = ['--min-semi-space-size=8', '--max-semi-space-size=8'];
  const r = spawnSync(process.execPath, [...v8Flags, file, '--memory-child', backend], { encoding: 'utf8', timeout: 240_000 });
  assert.equal(r.status, 0, `memory child (${backend}) failed: ${r.error?.message ?? ''} ${r.stderr}`);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as ChildReport;
}

const mib = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MiB`;
const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const newSpace = (s: Sample): number => s.spaces['new_space'] ?? 0;

/**
 * RSS of the last samples against step 1,000, less what V8 newly committed to its young
 * generation. On this small model V8 doubles the young generation's semi-spaces (4 → 8 MiB)
 * at around step 1,000–1,500, which alone is ~8% of a ~62 MiB process: that is the VM sizing
 * its nursery to the allocation rate, not memory anything holds on to, and it happens once.
 * Everything else (old space, code, large objects, typed-array backing stores, malloc) counts.
 * The second check: the second half of the run must be flat too. The child runs with a fixed
 * young generation, so the nursery term is normally zero.
 */
function checkFlat(rep: ChildReport): void {
  const at = (step: number): Sample => {
    const s = rep.samples.find((x) => x.step === step);
    assert.ok(s, `${rep.backend}: no sample at step ${step}`);
    return s;
  };
  const base = at(BASELINE_STEP);
  const mid = at(STEPS / 2);
  assert.equal(rep.samples[rep.samples.length - 1]!.step, STEPS);
  const tail = rep.samples.slice(-LAST_SAMPLES);
  const peak = tail.reduce((a, s) => (s.rss > a.rss ? s : a));
  const nursery = newSpace(peak) - newSpace(base);
  const growth = (peak.rss - base.rss - nursery) / base.rss;
  const secondHalf = (peak.rss - mid.rss - (newSpace(peak) - newSpace(mid))) / mid.rss;
  const trace = rep.samples.filter((s) => s.step % 2000 === 0 || s.step === BASELINE_STEP)
    .map((s) => `step ${s.step}: rss ${mib(s.rss)}, heap used ${mib(s.heapUsed)}, array buffers ${mib(s.arrayBuffers)}, ` +
      `V8 spaces ${Object.entries(s.spaces).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${mib(v)}`).join(' ')}`)
    .join('\n  ');
  const story = `${rep.backend}: RSS ${mib(base.rss)} at step ${BASELINE_STEP} → ${mib(peak.rss)} at step ${peak.step} ` +
    `(raw ${pct(peak.rss / base.rss - 1)}, of which V8 young generation ${mib(nursery)}); since step ${STEPS / 2} ${pct(secondHalf)}\n  ${trace}`;
  assert.ok(growth < MAX_GROWTH, `RSS grew ${pct(growth)} beyond the young generation, limit ${pct(MAX_GROWTH)}. ${story}`);
  assert.ok(secondHalf < MAX_GROWTH, `RSS grew ${pct(secondHalf)} over the second half, limit ${pct(MAX_GROWTH)}. ${story}`);
  // the loop must actually have trained, or a flat RSS proves nothing
  assert.ok(Number.isFinite(rep.finalLoss) && rep.finalLoss < 0.3, `${rep.backend}: final loss ${rep.finalLoss}`);
}

const childAt = process.argv.indexOf('--memory-child');
if (childAt >= 0) {
  childMain(process.argv[childAt + 1] ?? 'js');
} else {
  test('20,000 steps of a user-written training loop keep RSS flat (js backend)', () => {
    checkFlat(runChild('js'));
  });

  test('20,000 steps of a user-written training loop keep RSS flat (wasm backend)', { skip: wasmAvailable() ? false : 'wasm SIMD unavailable' }, () => {
    checkFlat(runChild('wasm'));
  });

  // the addon's scratch and thread pool live outside the JS heap, so RSS is the check that sees them
  test('20,000 steps of a user-written training loop keep RSS flat (native backend)', { skip: nativeInfo().available ? false : `native addon not available: ${nativeInfo().reason}` }, () => {
    checkFlat(runChild('native'));
  });
}
