/**
 * The GPU benchmark driver: each (library, workload) in its own child process, one after another,
 * then one markdown table. `npm run bench:gpu` (add `-- --quick` for the shrunken smoke run).
 *
 *   BENCH_GPU_ONLY=backprop,tfjs-webgpu   only these libraries
 *   BENCH_GPU_WHAT=mlp,gemm               only these workloads
 *   BENCH_GPU_OUT=path                    also write the table (markdown) there
 *   BENCH_GPU_TIMEOUT_SEC=600             per child
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GPU_WHATS, type GpuResult, type GpuWhat } from './common.js';

const here = dirname(fileURLToPath(import.meta.url));
const LIBS = [
  { id: 'backprop', script: 'own.js' },
  { id: 'tfjs-webgpu', script: 'tfjs.js' },
  { id: 'jax-webgpu', script: 'jax.js' },
];
const list = (name: string): string[] | null => process.env[name]?.split(',').map((s) => s.trim()).filter(Boolean) ?? null;
const only = list('BENCH_GPU_ONLY'), whatOnly = list('BENCH_GPU_WHAT');
const quick = process.argv.includes('--quick') || process.env['BENCH_QUICK'] === '1';
const timeoutSec = Number(process.env['BENCH_GPU_TIMEOUT_SEC'] ?? 600) || 600;

function child(script: string, lib: string, what: GpuWhat): Promise<GpuResult> {
  const argv = [join(here, script), '--what', what, ...(quick ? ['--quick'] : [])];
  return new Promise((resolve) => {
    const p = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutSec * 1000);
    p.on('close', (code) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop() ?? '';
      try { resolve(JSON.parse(line) as GpuResult); } catch {
        resolve({ lib, what, config: '', adapter: '', error: `exit ${code}: ${(err || out).trim().split('\n').slice(-3).join(' | ')}` });
      }
    });
  });
}

const fmt = (v: number | undefined, d = 1): string => (v === undefined ? '—' : v.toLocaleString('en-US', { maximumFractionDigits: d }));

function table(results: GpuResult[]): string {
  const lines: string[] = [];
  const adapter = results.find((r) => r.adapter)?.adapter ?? 'unknown adapter';
  lines.push(`GPU benchmark${quick ? ' (--quick: shrunken workloads, not a speed measurement)' : ''}, adapter: ${adapter}`, '');
  lines.push('| library | workload | step ms | samples/s or TFLOPS | step/fwd | dispatches/step | submissions/step | first losses |', '|---|---|---:|---:|---:|---:|---:|---|');
  for (const r of results) {
    if (r.error) { lines.push(`| ${r.lib} | ${r.what} | error: ${r.error.replace(/\|/g, '/')} | | | | | |`); continue; }
    for (const m of r.mlp ?? []) lines.push(`| ${r.lib} | MLP ${m.name} | ${fmt(m.stepMs, 3)} | ${fmt(m.samplesPerSec, 0)} | ${fmt(m.stepOverFwd, 2)} | ${fmt(m.dispatchesPerStep)} | ${fmt(m.submissionsPerStep, 2)} | ${m.losses.join(', ')} |`);
    for (const g of r.gemm ?? []) lines.push(`| ${r.lib} | GEMM ${g.n} ${g.trans} | ${fmt(g.ms, 3)} | ${fmt(g.tflops, 3)} TFLOPS | | | | |`);
    if (r.lenet) lines.push(`| ${r.lib} | LeNet-5 B=${r.lenet.batch} | ${fmt(r.lenet.stepMs, 3)} | ${fmt(r.lenet.samplesPerSec, 0)} | | ${fmt(r.lenet.dispatchesPerStep)} | ${fmt(r.lenet.submissionsPerStep, 2)} | ${r.lenet.losses.join(', ')} |`);
  }
  return lines.join('\n');
}

const results: GpuResult[] = [];
for (const what of GPU_WHATS.filter((w) => !whatOnly || whatOnly.includes(w))) {
  for (const lib of LIBS.filter((l) => !only || only.includes(l.id))) {
    const r = await child(lib.script, lib.id, what);
    console.error(`${lib.id} ${what}: ${r.error ?? 'done'}`);
    results.push(r);
  }
}
const md = table(results);
console.log(md);
if (process.env['BENCH_GPU_OUT']) writeFileSync(process.env['BENCH_GPU_OUT'], md + '\n');
