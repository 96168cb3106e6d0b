/**
 * `npm run bench` driver.
 *
 * Runs every (library, group) pair in its own child process, sequentially
 * (the machine has 2 cores; running in parallel would distort both), repeats
 * the whole sweep BENCH_RUNS times (interleaved, so drift hits every library
 * alike), takes medians across runs and writes BENCHMARKS.md atomically.
 *
 * Environment knobs:
 *   BENCH_RUNS=3             sweeps (default 3; medians across sweeps)
 *   BENCH_ONLY=a,b           only these libraries (ids below)
 *   BENCH_WHAT=gemm,mlp      only these groups (gemm, mlp, lenet, gpt)
 *   BENCH_QUICK=1            smoke test: 1 warm-up + 1 rep everywhere
 *   BENCH_TIMEOUT_SEC=300    per child process
 *   BENCH_BUDGET_SEC=540     start no new sweep after this much time
 *   BENCH_OUT=path           output markdown (default <repo>/BENCHMARKS.md)
 *   BENCH_SWIFTSHADER=0      no SwiftShader retry for the webgpu column (it then says "no adapter")
 *
 * The backprop (webgpu) column runs backprop's rows on the webgpu device through the optional
 * `webgpu` package (Dawn). When the system's Vulkan finds no adapter and Chromium's SwiftShader
 * is installed, it is retried on SwiftShader (a software adapter: the column then says it runs,
 * not how fast, with one timed rep in the first sweep only: each of its groups takes 1-3 minutes
 * there); with no adapter at all its cells say "no adapter". A crash of that process
 * (Dawn has crashed on large dispatches) keeps the rows finished before it, and says why.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  GEMM_SIZES, GPT, LENET, MLP, TRANS, WHATS, isSkipped, median,
  type ChildOutput, type GemmEntry, type GroupResult, type Trans, type What,
} from './common.js';

const loadAtStart = os.loadavg()[0] ?? 0;
const here = path.dirname(fileURLToPath(import.meta.url)); // <repo>/build/bench
const repoRoot = path.resolve(here, '..', '..');

interface Lib {
  id: string;
  script: string;
  ours: boolean;
  label: string;
}

const LIBS: Lib[] = [
  { id: 'backprop-js', script: 'own.js', ours: true, label: 'backprop (js)' },
  { id: 'backprop-wasm', script: 'own.js', ours: true, label: 'backprop (wasm)' },
  { id: 'backprop-native', script: 'own.js', ours: true, label: 'backprop (native)' },
  { id: 'backprop-webgpu', script: 'own.js', ours: true, label: 'backprop (webgpu)' },
  { id: 'tfjs-wasm', script: 'peers/tfjs.js', ours: false, label: 'TF.js wasm' },
  { id: 'tfjs-cpu', script: 'peers/tfjs.js', ours: false, label: 'TF.js cpu' },
  { id: 'jax-wasm', script: 'peers/jax.js', ours: false, label: 'jax-js wasm+jit' },
];

function envList(name: string): string[] | null {
  const v = process.env[name];
  if (!v) return null;
  return v.split(',').map((s) => s.trim()).filter(Boolean);
}

const only = envList('BENCH_ONLY');
const whatOnly = envList('BENCH_WHAT');
const libs = LIBS.filter((l) => !only || only.includes(l.id));
const whats = WHATS.filter((w) => !whatOnly || whatOnly.includes(w));
const runs = Math.max(1, Number(process.env['BENCH_RUNS'] ?? 3) || 3);
const quick = process.env['BENCH_QUICK'] === '1';
const timeoutSec = Number(process.env['BENCH_TIMEOUT_SEC'] ?? 300) || 300;
const budgetSec = Number(process.env['BENCH_BUDGET_SEC'] ?? 540) || 540;
const outPath = process.env['BENCH_OUT'] ? path.resolve(process.env['BENCH_OUT']) : path.join(repoRoot, 'BENCHMARKS.md');

// ---------------------------------------------------------------------------
// Child processes

interface ChildRun {
  out: ChildOutput;
  wallSec: number;
}

const WEBGPU = 'backprop-webgpu';
const SWIFTSHADER_DIR = '/usr/lib/chromium';
const SWIFTSHADER_ICD = `${SWIFTSHADER_DIR}/vk_swiftshader_icd.json`;
/** Extra environment for the webgpu child: null until an adapter-less run asks for SwiftShader. */
let webgpuEnv: Record<string, string> | null = null;

/** Vulkan pointed at Chromium's SwiftShader (Dawn opens libvulkan.so.1 by name, so its copy goes on the path). */
function swiftShaderEnv(): Record<string, string> {
  return {
    VK_ICD_FILENAMES: SWIFTSHADER_ICD,
    LD_LIBRARY_PATH: [SWIFTSHADER_DIR, process.env['LD_LIBRARY_PATH']].filter(Boolean).join(':'),
    XDG_RUNTIME_DIR: process.env['XDG_RUNTIME_DIR'] ?? '/tmp',
  };
}

/** Runs a group; the webgpu column retries once on SwiftShader when the system driver has no adapter. */
async function runGroup(lib: Lib, what: What): Promise<ChildRun> {
  const first = await runChildProcess(lib, what, lib.id === WEBGPU ? webgpuEnv ?? {} : {});
  if (lib.id !== WEBGPU || webgpuEnv !== null || !isSkipped(first.out) || !first.out.skipped.startsWith('no adapter')) return first;
  if (process.env['VK_ICD_FILENAMES'] || process.env['BENCH_SWIFTSHADER'] === '0' || !fs.existsSync(SWIFTSHADER_ICD)) return first;
  webgpuEnv = swiftShaderEnv();
  console.log(`[bench] ${WEBGPU}: the system's Vulkan found no adapter; retrying on SwiftShader (${SWIFTSHADER_ICD})`);
  return runChildProcess(lib, what, webgpuEnv);
}

function runChildProcess(lib: Lib, what: What, env: Record<string, string> = {}): Promise<ChildRun> {
  const script = path.join(here, lib.script);
  const argv = [script, '--peer', lib.id, '--what', what];
  if (quick) argv.push('--quick');
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, argv, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutSec * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const wallSec = (performance.now() - t0) / 1000;
      if (timedOut) {
        resolve({ out: { skipped: `timed out after ${timeoutSec} s`, peer: lib.id, what }, wallSec });
        return;
      }
      const lines = stdout.split('\n').map((s) => s.trim()).filter((s) => s.startsWith('{'));
      const tail = (stderr.trim().split('\n').pop() ?? '').slice(0, 200);
      const died = signal ? `signal ${signal}` : `exit ${String(code)}`;
      for (let i = lines.length - 1; i >= 0; i--) {
        try {
          const parsed = JSON.parse(lines[i]!) as ChildOutput;
          // the rows finished before a crash; the rest say why they are missing
          if (!isSkipped(parsed) && parsed.partial) resolve({ out: crashedAfter(parsed, `crashed (${died})${tail ? `: ${tail}` : ''}`), wallSec });
          else resolve({ out: parsed, wallSec });
          return;
        } catch {
          // not our line; keep looking
        }
      }
      resolve({
        out: { skipped: `${signal || code ? `crashed (${died})` : 'no JSON result (exit 0)'}${tail ? `: ${tail}` : ''}`, peer: lib.id, what },
        wallSec,
      });
    });
  });
}

/** A partial GEMM result completed with the rows the crash left out, each saying why. */
function crashedAfter(r: GroupResult, why: string): GroupResult {
  const done = r.gemm ?? [];
  const gemm: GemmEntry[] = [];
  for (const n of GEMM_SIZES) {
    for (const trans of TRANS) {
      gemm.push(done.find((e) => e.n === n && e.trans === trans) ?? { n, trans, gflops: null, ms: null, reps: 0, na: why });
    }
  }
  const { partial: _partial, ...rest } = r;
  return { ...rest, gemm, notes: [...(r.notes ?? []), why] };
}

// ---------------------------------------------------------------------------
// Aggregation across runs

interface Agg {
  ok: GroupResult[];
  skipped: string[];
}

const results = new Map<string, Agg>(); // key `${lib}/${what}`
const key = (lib: string, what: What): string => `${lib}/${what}`;

function agg(lib: string, what: What): Agg {
  let a = results.get(key(lib, what));
  if (!a) {
    a = { ok: [], skipped: [] };
    results.set(key(lib, what), a);
  }
  return a;
}

function med(xs: (number | null | undefined)[]): number | null {
  const v = xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  return v.length ? median(v) : null;
}

function naReason(lib: string, what: What): string | null {
  const a = results.get(key(lib, what));
  if (!a) return 'not run';
  if (a.ok.length === 0) return a.skipped[0] ?? 'no result';
  return null;
}

function gemmCell(lib: string, n: number, trans: Trans): { v: number | null; na: string | null } {
  const a = results.get(key(lib, 'gemm'));
  const bad = naReason(lib, 'gemm');
  if (bad || !a) return { v: null, na: bad ?? 'no result' };
  const entries = a.ok.map((r) => r.gemm?.find((e) => e.n === n && e.trans === trans)).filter((e): e is GemmEntry => !!e);
  const v = med(entries.map((e) => e.gflops));
  const na = v === null ? (entries.find((e) => e.na)?.na ?? 'no result') : null;
  return { v, na };
}

type MlpKey = 'fwdMs' | 'fwdBwdMs' | 'stepMs' | 'samplesPerSec';
function mlpVal(lib: string, k: MlpKey): number | null {
  const a = results.get(key(lib, 'mlp'));
  if (!a) return null;
  return med(a.ok.map((r) => r.mlp?.[k]));
}

function lenetVal(lib: string, k: 'stepMs' | 'samplesPerSec'): number | null {
  const a = results.get(key(lib, 'lenet'));
  if (!a) return null;
  return med(a.ok.map((r) => r.lenet?.[k]));
}

function gptVal(lib: string, k: 'stepMs' | 'stepsPerSec' | 'tokensPerSec'): number | null {
  const a = results.get(key(lib, 'gpt'));
  if (!a) return null;
  return med(a.ok.map((r) => r.gpt?.[k]));
}

function groupNa(lib: string, what: What): string | null {
  const bad = naReason(lib, what);
  if (bad) return bad;
  const a = results.get(key(lib, what))!;
  for (const r of a.ok) {
    const na = what === 'mlp' ? r.mlp?.na : what === 'lenet' ? r.lenet?.na : what === 'gpt' ? r.gpt?.na : undefined;
    if (na) return na;
  }
  return null;
}

function peakRss(lib: string, what: What): number | null {
  const a = results.get(key(lib, what));
  if (!a) return null;
  const v = a.ok.map((r) => r.maxRssMB).filter((x) => Number.isFinite(x));
  return v.length ? Math.max(...v) : null;
}

// ---------------------------------------------------------------------------
// Markdown

const notes: string[] = [];
function noteFor(reason: string): string {
  let i = notes.indexOf(reason);
  if (i < 0) {
    notes.push(reason);
    i = notes.length - 1;
  }
  return `${reason.startsWith('no adapter') ? 'no adapter' : 'n/a'}[^${i + 1}]`;
}

/** Whether the webgpu column ran on a software adapter (SwiftShader): then it shows that it runs, not a speed. */
function webgpuIsSoftware(): boolean {
  for (const w of whats) for (const r of results.get(key(WEBGPU, w))?.ok ?? []) if (r.config.includes('software adapter')) return true;
  return false;
}

/** Kernels and submissions per training step of the webgpu column, one line per group that has them. */
function dispatchLines(): string[] {
  const out: string[] = [];
  for (const w of ['mlp', 'lenet', 'gpt'] as const) {
    const r = results.get(key(WEBGPU, w))?.ok.find((x) => x[w]?.dispatchesPerStep !== undefined)?.[w];
    if (r) out.push(`${w === 'mlp' ? 'MLP' : w === 'lenet' ? 'LeNet' : 'GPT'} ${r.dispatchesPerStep} dispatches in ${r.submissionsPerStep} submissions`);
  }
  return out;
}

function fmt(v: number | null, digits: number, na?: string | null): string {
  if (v === null) return na ? noteFor(na) : 'n/a';
  return v.toFixed(digits);
}

/**
 * Ratio ours/peer of a "higher is better" metric, computed within each sweep
 * (both libraries measured minutes apart under similar machine load) and then
 * the median across sweeps; falls back to the ratio of medians.
 */
function sweepRatio(what: What, ours: string, peer: string, get: (r: GroupResult) => number | null | undefined): number | null {
  const A = results.get(key(ours, what))?.ok ?? [];
  const B = results.get(key(peer, what))?.ok ?? [];
  const ratios: number[] = [];
  for (const a of A) {
    const b = B.find((x) => x.sweep === a.sweep);
    const va = get(a);
    const vb = b ? get(b) : null;
    if (typeof va === 'number' && typeof vb === 'number' && vb > 0) ratios.push(va / vb);
  }
  if (ratios.length) return median(ratios);
  const ma = med(A.map(get));
  const mb = med(B.map(get));
  return ma !== null && mb !== null && mb > 0 ? ma / mb : null;
}

function gemmOf(r: GroupResult, n: number, t: Trans): number | null {
  return r.gemm?.find((e) => e.n === n && e.trans === t)?.gflops ?? null;
}

function geomean(xs: number[]): number | null {
  if (xs.length === 0) return null;
  return Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

function machineInfo(): string[] {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  let flags = '';
  try {
    const info = fs.readFileSync('/proc/cpuinfo', 'utf8');
    const m = /^model name\s*:\s*(.+)$/m.exec(info);
    if (m) cpuModel = m[1]!.trim();
    const f = /^flags\s*:\s*(.+)$/m.exec(info);
    if (f) {
      const set = new Set(f[1]!.split(/\s+/));
      flags = ['sse4_2', 'avx', 'avx2', 'fma', 'avx512f'].filter((x) => set.has(x)).join(', ');
    }
  } catch {
    // non-Linux: keep os.cpus() model
  }
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return [
    `- CPU: ${cpuModel}${flags ? ` (flags: ${flags})` : ''}`,
    `- Cores (logical, available): ${cores}`,
    `- RAM: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- Node: ${process.version} (V8 ${process.versions.v8}), ${os.type()} ${os.release()} ${os.arch()}`,
    `- Date: ${new Date().toISOString()}`,
    ...loadLines(cores),
  ];
}

/** The box may be shared: report the 1-min load average seen by the child processes. */
function loadLines(cores: number): string[] {
  const loads: number[] = [];
  for (const a of results.values()) for (const r of a.ok) if (r.loadAvg) loads.push(...r.loadAvg);
  if (loads.length === 0) return [];
  const lo = Math.min(...loads);
  const hi = Math.max(...loads);
  const out = [`- 1-min load average at start/end of the measurement processes: ${lo.toFixed(2)}–${hi.toFixed(2)} (driver start ${loadAtStart.toFixed(2)})`];
  // Each measurement process keeps ~1 core busy by itself.
  if (hi > cores * 0.75) {
    out.push(`- **Warning:** load reached ${hi.toFixed(2)} on ${cores} cores, so other processes competed for the CPU during ` +
      'the run; absolute numbers are pessimistic and noisy (compare libraries within the same sweep, or re-run on an idle machine).');
  }
  return out;
}

function configLines(): string[] {
  const out: string[] = [];
  for (const lib of libs) {
    const cfgs = new Set<string>();
    for (const w of whats) for (const r of results.get(key(lib.id, w))?.ok ?? []) cfgs.add(r.config);
    const skipped = new Set<string>();
    for (const w of whats) {
      const a = results.get(key(lib.id, w));
      if (a && a.ok.length === 0 && a.skipped[0]) skipped.add(`${w}: ${a.skipped[0]}`);
    }
    const parts = [...cfgs];
    if (skipped.size) parts.push(`skipped (${[...skipped].join('; ')})`);
    out.push(`- **${lib.label}** (\`${lib.id}\`): ${parts.join('; ') || 'no result'}`);
  }
  return out;
}

function sanityLines(): string[] {
  const out: string[] = [];
  for (const w of ['mlp', 'lenet'] as const) {
    if (!whats.includes(w)) continue;
    const cells: string[] = [];
    for (const lib of libs) {
      const r = results.get(key(lib.id, w))?.ok[0];
      const s = w === 'mlp' ? r?.mlp?.sanityLosses : r?.lenet?.sanityLosses;
      if (s && s.length) cells.push(`${lib.label} ${s.map((x) => x.toFixed(4)).join(' → ')}`);
    }
    if (cells.length) out.push(`- ${w === 'mlp' ? 'MLP' : 'LeNet'} loss of the first two SGD steps from the shared init: ${cells.join('; ')}`);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Targets of the "Performance" issue, checked against the wasm backend

interface TargetRow {
  name: string;
  /** null: could not be measured (a library or group missing) */
  value: number | null;
  goal: string;
  met: boolean | null;
  shown: string;
}

const OURS_FAST = 'backprop-wasm';

/** Step ms / forward ms of one library, per sweep, median across sweeps. */
function stepOverFwd(lib: string): number | null {
  const rs = results.get(key(lib, 'mlp'))?.ok ?? [];
  return med(rs.map((r) => (r.mlp?.stepMs && r.mlp.fwdMs ? r.mlp.stepMs / r.mlp.fwdMs : null)));
}

function targetRows(): TargetRow[] {
  const rows: TargetRow[] = [];
  const ratioRow = (name: string, v: number | null, min: number): void => {
    rows.push({ name, value: v, goal: `≥ ${min}×`, met: v === null ? null : v >= min, shown: v === null ? 'n/a' : `${v.toFixed(2)}×` });
  };
  const has = (id: string): boolean => libs.some((l) => l.id === id);
  if (!has(OURS_FAST)) return rows;
  if (whats.includes('mlp')) {
    const sps = (r: GroupResult): number | null | undefined => r.mlp?.samplesPerSec;
    if (has('jax-wasm')) ratioRow('MLP samples/s, backprop (wasm) / jax-js wasm+jit', sweepRatio('mlp', OURS_FAST, 'jax-wasm', sps), 2);
    if (has('tfjs-wasm')) ratioRow('MLP samples/s, backprop (wasm) / TF.js wasm', sweepRatio('mlp', OURS_FAST, 'tfjs-wasm', sps), 40);
    const so = stepOverFwd(OURS_FAST);
    rows.push({
      name: 'MLP step ms / forward ms, backprop (wasm)', value: so, goal: '≤ 3×',
      met: so === null ? null : so <= 3, shown: so === null ? 'n/a' : `${so.toFixed(2)}×`,
    });
  }
  if (whats.includes('gemm') && has('jax-wasm')) {
    for (const n of [512, 1024]) {
      for (const t of TRANS) {
        ratioRow(`GEMM ${n} ${t} GFLOPS, backprop (wasm) / jax-js wasm+jit`, sweepRatio('gemm', OURS_FAST, 'jax-wasm', (r) => gemmOf(r, n, t)), 2);
      }
    }
  }
  if (whats.includes('lenet')) {
    const sps = (r: GroupResult): number | null | undefined => r.lenet?.samplesPerSec;
    for (const p of ['jax-wasm', 'tfjs-wasm', 'tfjs-cpu']) {
      if (!has(p)) continue;
      const label = LIBS.find((l) => l.id === p)!.label;
      const na = groupNa(p, 'lenet');
      if (na !== null) {
        rows.push({ name: `LeNet samples/s, backprop (wasm) / ${label}`, value: null, goal: '> 1× (ahead)', met: null, shown: `n/a (${label} cannot run it)` });
        continue;
      }
      const v = sweepRatio('lenet', OURS_FAST, p, sps);
      rows.push({
        name: `LeNet samples/s, backprop (wasm) / ${label}`, value: v, goal: '> 1× (ahead)',
        met: v === null ? null : v > 1, shown: v === null ? 'n/a' : `${v.toFixed(2)}×`,
      });
    }
  }
  return rows;
}

function targetSection(): string[] {
  const rows = targetRows();
  if (rows.length === 0) return [];
  const status = (m: boolean | null): string => (m === null ? 'n/a' : m ? 'met' : '**missed**');
  const met = rows.filter((r) => r.met === true).length;
  const judged = rows.filter((r) => r.met !== null).length;
  const out = ['## Targets (issue "Performance"; backprop wasm backend)', ''];
  out.push('Ratios are taken within each sweep (libraries measured minutes apart under similar load), then the median across sweeps. ' +
    `${met} of ${judged} measurable targets met.`, '');
  out.push(table(['target', 'measured (median)', 'goal', 'status'], rows.map((r) => [r.name, r.shown, r.goal, status(r.met)])), '');
  const rss = whats.map((w) => {
    const cells = libs.map((l) => { const v = peakRss(l.id, w); return v === null ? null : `${l.label} ${v.toFixed(0)}`; }).filter(Boolean);
    return `- Peak RSS (MiB), ${w}: ${cells.join(', ')}`;
  });
  out.push(...rss, '');
  return out;
}

function buildMarkdown(completedRuns: number, totalSec: number): string {
  notes.length = 0;
  const gpuLib = libs.find((l) => l.id === WEBGPU);
  if (gpuLib && webgpuIsSoftware()) gpuLib.label = 'backprop (webgpu; software adapter: runs, not a speed measurement)';
  const ids = libs.map((l) => l.id);
  const labels = libs.map((l) => l.label);
  const md: string[] = [];
  md.push('# Benchmarks', '');
  md.push(
    'Generated by `npm run bench` (bench/run.ts). Every library × group ran in its own Node process;',
    `figures are medians of the timed reps inside a process, then the median across ${completedRuns} interleaved sweep(s)` +
      `${quick ? ' (**quick mode: 1 rep, not representative**)' : ''}. Total wall time ${totalSec.toFixed(0)} s.`,
    '',
  );
  md.push('## Machine', '', ...machineInfo(), '');
  md.push('## Libraries', '', ...configLines(), '');
  md.push(...targetSection());

  if (whats.includes('gemm')) {
    md.push('## GEMM (GFLOPS, float32, square n×n, higher is better)', '');
    md.push('NN = A·B, TN = Aᵀ·B, NT = A·Bᵀ, each through the library\'s own transposed-matmul API ' +
      '(tfjs: `tf.matMul(a, b, transposeA, transposeB)`; jax-js: `jit(np.matmul(a.transpose(), b))`). ' +
      'Time includes forcing the result (dataSync / blockUntilReady); GFLOPS = 2n³ / median time.', '');
    const rows: string[][] = [];
    for (const n of GEMM_SIZES) {
      for (const t of TRANS) {
        rows.push([`${n} ${t}`, ...ids.map((id) => { const c = gemmCell(id, n, t); return fmt(c.v, 1, c.na); })]);
      }
    }
    md.push(table(['size / op', ...labels], rows), '');
  }

  if (whats.includes('mlp')) {
    md.push(`## MLP training step (${MLP.sizes.join('-')}, sigmoid, softmax cross-entropy, SGD lr ${MLP.lr}, batch ${MLP.batch})`, '');
    md.push('fwd = forward to the scalar loss; fwd+bwd = loss and all parameter gradients; step = fwd+bwd + SGD update. Times in ms (median).', '');
    const rows = libs.map((l) => {
      const na = groupNa(l.id, 'mlp');
      const f = mlpVal(l.id, 'fwdMs');
      const fb = mlpVal(l.id, 'fwdBwdMs');
      const st = mlpVal(l.id, 'stepMs');
      return [
        l.label,
        fmt(mlpVal(l.id, 'samplesPerSec'), 0, na),
        fmt(st, 1, na),
        fmt(f, 2, na),
        fmt(fb, 1, na),
        f !== null && fb !== null ? (fb / f).toFixed(2) : 'n/a',
        f !== null && st !== null ? (st / f).toFixed(2) : 'n/a',
      ];
    });
    md.push(table(['library', 'samples/s', 'step ms', 'fwd ms', 'fwd+bwd ms', 'fwd+bwd / fwd', 'step / fwd'], rows), '');
  }

  if (whats.includes('lenet')) {
    md.push(`## LeNet-5 training step (28×28×1, batch ${LENET.batch}, SGD lr ${LENET.lr})`, '');
    md.push('conv 6@5×5 pad 2 → relu → maxpool 2 → conv 16@5×5 → relu → maxpool 2 → flatten 400 → 120 → relu → 84 → relu → 10, softmax cross-entropy.', '');
    const rows = libs.map((l) => {
      const na = groupNa(l.id, 'lenet');
      return [l.label, fmt(lenetVal(l.id, 'samplesPerSec'), 0, na), fmt(lenetVal(l.id, 'stepMs'), 1, na)];
    });
    md.push(table(['library', 'samples/s', 'step ms'], rows), '');
  }

  if (whats.includes('gpt')) {
    md.push(`## Character GPT training step (nanoGPT's CPU configuration: ${GPT.layers} layers, ${GPT.heads} heads, width ${GPT.embd}, context ${GPT.block}, vocabulary ${GPT.vocab}, batch ${GPT.batch})`, '');
    md.push('One step = forward, mean cross-entropy, backward, gradient clipping to norm 1, AdamW (betas 0.9/0.99, weight decay 0.1 on the matrices), ' +
      'the loss read back; ~0.8M parameters, ~4 GFLOP. backprop runs `nn.GPT` as `backprop train --dataset text` does; jax-js runs the same model ' +
      'written with its numpy/nn API, the whole step one `jit`-compiled function. TF.js is not measured here.', '');
    const rows = libs.filter((l) => results.has(key(l.id, 'gpt'))).map((l) => {
      const na = groupNa(l.id, 'gpt');
      return [l.label, fmt(gptVal(l.id, 'stepsPerSec'), 2, na), fmt(gptVal(l.id, 'tokensPerSec'), 0, na), fmt(gptVal(l.id, 'stepMs'), 1, na)];
    });
    md.push(table(['library', 'steps/s', 'tokens/s', 'step ms'], rows), '');
    if (libs.some((l) => l.id === OURS_FAST) && libs.some((l) => l.id === 'jax-wasm')) {
      const r = sweepRatio('gpt', OURS_FAST, 'jax-wasm', (x) => x.gpt?.stepsPerSec);
      md.push(`Ratio of steps/s, backprop (wasm) / jax-js wasm+jit: **${r === null ? 'n/a' : `${r.toFixed(2)}×`}** (within each sweep, median across sweeps).`, '');
    }
    if (libs.some((l) => l.id === 'backprop-native') && libs.some((l) => l.id === 'jax-wasm')) {
      const r = sweepRatio('gpt', 'backprop-native', 'jax-wasm', (x) => x.gpt?.stepsPerSec);
      md.push(`Ratio of steps/s, backprop (native) / jax-js wasm+jit: **${r === null ? 'n/a' : `${r.toFixed(2)}×`}** ` +
        '(native C++ kernels against wasm: no wasm peer can go past 128-bit vectors; TF.js\'s native tfjs-node needs a libtensorflow download this machine cannot make).', '');
    }
  }

  md.push('## Peak RSS (MiB, `process.resourceUsage().maxRSS` of each group\'s process, max across sweeps)', '');
  md.push(table(['library', ...whats], libs.map((l) => [l.label, ...whats.map((w) => fmt(peakRss(l.id, w), 0))])), '');

  // a software GPU adapter's times say nothing about speed, so it gets no ratios
  const ours = libs.filter((l) => l.ours && !(l.id === WEBGPU && webgpuIsSoftware()));
  const peers = libs.filter((l) => !l.ours);
  if (ours.length && peers.length) {
    md.push('## Ours vs peers (ratio ours / peer; > 1 means backprop is faster)', '');
    md.push('Each ratio is taken within a sweep (same machine conditions) and the median across sweeps is shown. GEMM = geometric mean of the GFLOPS ratios over all sizes × transposes both libraries ran; MLP and LeNet = samples/s ratio.', '');
    const rows: string[][] = [];
    for (const o of ours) {
      for (const p of peers) {
        const ratios: number[] = [];
        for (const n of GEMM_SIZES) {
          for (const t of TRANS) {
            const r = sweepRatio('gemm', o.id, p.id, (x) => gemmOf(x, n, t));
            if (r !== null) ratios.push(r);
          }
        }
        const g = geomean(ratios);
        const x = (v: number | null): string => (v === null ? 'n/a' : `${v.toFixed(2)}×`);
        rows.push([
          `${o.label} vs ${p.label}`,
          whats.includes('gemm') ? x(g) : '–',
          whats.includes('gemm') ? x(sweepRatio('gemm', o.id, p.id, (r) => gemmOf(r, 1024, 'NN'))) : '–',
          whats.includes('mlp') ? x(sweepRatio('mlp', o.id, p.id, (r) => r.mlp?.samplesPerSec)) : '–',
          whats.includes('lenet') ? x(sweepRatio('lenet', o.id, p.id, (r) => r.lenet?.samplesPerSec)) : '–',
          whats.includes('gpt') ? x(sweepRatio('gpt', o.id, p.id, (r) => r.gpt?.stepsPerSec)) : '–',
        ]);
      }
    }
    md.push(table(['pair', 'GEMM (geomean)', 'GEMM 1024 NN', 'MLP step', 'LeNet step', 'GPT step'], rows), '');
  }

  md.push('## Notes', '');
  md.push(
    '- Data and initial weights come from the same seeded generator (bench/common.ts) for every library, so the workloads are identical.',
    ...sanityLines(),
    ...(libs.some((l) => l.id === WEBGPU) ? [
      '- backprop (webgpu) runs the same user code with the model, data and optimizer state on the webgpu device (Node: Dawn through the optional ' +
        '`webgpu` package), reading the loss with `itemAsync()` and forcing a GEMM by waiting for the GPU queue. On a software adapter (SwiftShader) ' +
        'its figures show that it runs, not how fast; "no adapter" means the device could not start (the footnote says why).' +
        (dispatchLines().length ? ` Per training step: ${dispatchLines().join('; ')}.` : ''),
    ] : []),
    '- Each timed closure forces completion (tfjs: `dataSync()`; jax-js: `blockUntilReady()`; backprop: kernels are synchronous and ' +
      'the loss is read back with `item()`). backprop\'s forward-only time runs under `noGrad` (no graph recorded), as the peers\' ' +
      'forward functions record no tape; its training step is the user loop `opt.zeroGrad(); loss.backward(); opt.step()` with no ' +
      'dispose/tidy. One warm-up (absorbs jit/compilation), ' +
      'then a second warm-up and 5–60 timed reps within a time budget; workloads slower than 400 ms per rep get 3 timed reps.',
    '- backprop (wasm) runs large matmuls on the thread count in its config line above (default: all available cores, ' +
      'BACKPROP_THREADS or `setNumThreads` to change), while the two wasm peers run single-threaded under Node (next note); ' +
      'per thread, its GEMM ratios are up to that many times smaller. Its other kernels run on the main thread.',
    '- backprop (native) is the wasm backend with its GEMM, same-shape arithmetic, GELU, attention, layer norm, cross-entropy and Adam step in a C++ addon compiled at ' +
      '`npm run build` with g++ -march=native (AVX-512 FMA here), on the same thread count; it is Node only, and it is not a ' +
      'like-for-like peer of the wasm libraries: it shows what the CPU gives past WebAssembly\'s 128-bit vectors. The targets table ' +
      'stays on the wasm backend, which is what a browser gets.',
    '- Under Node, tfjs-backend-wasm disables its multithreaded build (WASM_HAS_MULTITHREAD_SUPPORT is false when IS_NODE) and ' +
      'jax-js\'s wasm worker pool needs a global Web `Worker` that Node 20 lacks, so both run single-threaded here.',
    '- tfjs-backend-wasm only sends untransposed matmuls to XNNPACK; `transposeA`/`transposeB` take a slow generic kernel, ' +
      'which is what dominates its backward pass (weight gradients are Aᵀ·B, input gradients A·Bᵀ). ' +
      'It also caches the XNNPACK operator (with B packed) per B tensor, so its NN GEMM figures, which reuse B across reps, exclude packing.',
    '- TF.js wasm cannot train LeNet: tfjs-backend-wasm 4.22 registers no Conv2DBackpropFilter kernel.',
    '',
  );
  if (notes.length) {
    md.push(...notes.map((n, i) => `[^${i + 1}]: ${n.replace(/\s+/g, ' ')}`), '');
  }
  return md.join('\n');
}

function writeAtomic(file: string, content: string): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  try {
    const dfd = fs.openSync(dir, 'r');
    try { fs.fsyncSync(dfd); } finally { fs.closeSync(dfd); }
  } catch {
    // directory fsync is best-effort (not supported everywhere)
  }
}

// ---------------------------------------------------------------------------

async function main(): Promise<void> {
  const t0 = performance.now();
  let completed = 0;
  for (let run = 1; run <= runs; run++) {
    const elapsed = (performance.now() - t0) / 1000;
    if (run > 1 && elapsed > budgetSec) {
      console.log(`[bench] ${elapsed.toFixed(0)} s elapsed > BENCH_BUDGET_SEC=${budgetSec}: stopping after ${completed} sweep(s)`);
      break;
    }
    for (const what of whats) {
      for (const lib of libs) {
        const a = agg(lib.id, what);
        // A library that skipped a group (e.g. "not wired yet") will skip it again: don't re-run.
        if (run > 1 && a.ok.length === 0 && a.skipped.length > 0) continue;
        // A software GPU adapter's figures are no speed measurement: one sweep shows that it runs.
        if (run > 1 && lib.id === WEBGPU && a.ok.some((r) => r.config.includes('software adapter'))) continue;
        const { out, wallSec } = await runGroup(lib, what);
        if (isSkipped(out)) {
          a.skipped.push(out.skipped);
          console.log(`[bench] run ${run}/${runs} ${lib.id} ${what}: skipped (${out.skipped}) ${wallSec.toFixed(1)} s`);
        } else {
          out.wallSec = wallSec;
          out.sweep = run;
          a.ok.push(out);
          console.log(`[bench] run ${run}/${runs} ${lib.id} ${what}: ok ${wallSec.toFixed(1)} s, ${summary(out)}`);
        }
      }
    }
    completed = run;
  }
  const totalSec = (performance.now() - t0) / 1000;
  const md = buildMarkdown(completed, totalSec);
  writeAtomic(outPath, md);
  const raw = { date: new Date().toISOString(), runs: completed, quick, results: Object.fromEntries(results) };
  fs.mkdirSync(here, { recursive: true });
  writeAtomic(path.join(here, 'results.json'), JSON.stringify(raw, null, 2) + '\n');
  for (const r of targetRows()) console.log(`[bench] target ${r.name}: ${r.shown} (goal ${r.goal})${r.met === false ? ' MISSED' : ''}`);
  console.log(`[bench] wrote ${path.relative(process.cwd(), outPath) || outPath} (${totalSec.toFixed(0)} s total); raw results in ${path.join(here, 'results.json')}`);
}

function summary(r: GroupResult): string {
  const sw = r.config.includes('software adapter') ? ' [software adapter: runs, not a speed measurement]' : '';
  if (r.gemm) {
    const e = r.gemm.find((x) => x.n === 1024 && x.trans === 'NN');
    const missing = r.gemm.filter((x) => x.na).length;
    return `1024 NN ${e?.gflops ?? 'n/a'} GFLOPS${missing ? `, ${missing} rows missing: ${r.gemm.find((x) => x.na)?.na}` : ''}, rss ${r.maxRssMB} MiB${sw}`;
  }
  const kernels = (x: { dispatchesPerStep?: number; submissionsPerStep?: number }): string =>
    x.dispatchesPerStep === undefined ? '' : `, ${x.dispatchesPerStep} dispatches and ${x.submissionsPerStep} submissions per step`;
  if (r.mlp) return r.mlp.na ? `n/a: ${r.mlp.na}` : `step ${r.mlp.stepMs} ms, fwd ${r.mlp.fwdMs} ms${kernels(r.mlp)}, rss ${r.maxRssMB} MiB${sw}`;
  if (r.lenet) return r.lenet.na ? `n/a: ${r.lenet.na}` : `step ${r.lenet.stepMs} ms${kernels(r.lenet)}, rss ${r.maxRssMB} MiB${sw}`;
  if (r.gpt) return r.gpt.na ? `n/a: ${r.gpt.na}` : `step ${r.gpt.stepMs} ms (${r.gpt.stepsPerSec} steps/s)${kernels(r.gpt)}, rss ${r.maxRssMB} MiB${sw}`;
  return '';
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
