/**
 * `--device webgpu` on train, eval and predict, in Node through Dawn on SwiftShader (the
 * software Vulkan driver of Debian's chromium): a GPU run follows the CPU run of the same seed
 * to float32 rounding, and its files are the CPU's files. Without SwiftShader the device runs
 * skip, saying why (under CI=true they fail); the error paths run everywhere.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as io from '../../src/io/index.js';
import { Generator } from '../../src/tensor/random.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'backprop-cli-device-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

const CHROMIUM = '/usr/lib/chromium';
const ICD = `${CHROMIUM}/vk_swiftshader_icd.json`;
const SWIFTSHADER = { LD_LIBRARY_PATH: CHROMIUM, VK_ICD_FILENAMES: ICD, XDG_RUNTIME_DIR: process.env['XDG_RUNTIME_DIR'] ?? '/tmp' };
const noDriver = existsSync(ICD) ? '' : `${ICD} not found (apt-get install chromium gives SwiftShader, a software WebGPU driver)`;
if (noDriver && process.env['CI'] === 'true') throw new Error(`CI requires WebGPU in Node: ${noDriver}`);
if (noDriver) console.warn(`SKIPPED the --device webgpu runs of test/cli/device.test.ts: ${noDriver}`);
const gpu = { skip: noDriver || false, timeout: 300_000 };

interface Run { code: number | null; stdout: string; stderr: string }

function run(args: string[], env: Record<string, string> = {}): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, BACKPROP_DEBUG: '', ...env }, timeout: 280_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const ok = (r: Run): Run => {
  assert.equal(r.code, 0, `exit code ${r.code}: ${r.stderr}`);
  return r;
};

const jsonLines = (s: string): Record<string, number>[] => s.trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);

/** float32 runs on two devices: the same to rounding (sums in another order), not bitwise */
function close(actual: number, expected: number, what: string, rtol = 1e-4): void {
  assert.ok(Math.abs(actual - expected) <= rtol * Math.max(1, Math.abs(expected)), `${what}: ${actual} on webgpu vs ${expected} on the CPU`);
}

test('--device with no adapter: a one-line DeviceError saying what to do, exit code 2', () => {
  const r = run(['train', '--dataset', 'spirals', '--model', 'mlp:2-8-2', '--epochs', '1', '--device', 'webgpu'], { VK_ICD_FILENAMES: join(tmp, 'no-driver.json') });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /train --device webgpu: no WebGPU adapter \(.+\); in Node, --device webgpu needs the optional `webgpu` package .* or use --device cpu/);
});

test('BACKPROP_DEVICE must name a device; an unknown --device is a usage error', () => {
  const env = run(['eval', '--model-file', join(tmp, 'x.safetensors')], { BACKPROP_DEVICE: 'tpu' });
  assert.equal(env.code, 2);
  assert.match(env.stderr, /eval: BACKPROP_DEVICE='tpu' is not a device; allowed: cpu, webgpu/);
  const flag = run(['predict', '--device', 'gpu', '--model-file', 'm', '--input', 'x.csv']);
  assert.equal(flag.code, 2);
  assert.match(flag.stderr, /--device.*gpu/);
});

test('train --device webgpu follows the CPU run; its model file evaluates and predicts the same on both devices', gpu, () => {
  const flags = ['train', '--dataset', 'spirals', '--model', 'mlp:2-16-16-2', '--epochs', '3', '--seed', '3', '--json'];
  const cpuOut = join(tmp, 'cpu.safetensors'), gpuOut = join(tmp, 'gpu.safetensors'), ck = join(tmp, 'gpu-ck.safetensors');
  const cpu = jsonLines(ok(run([...flags, '--out', cpuOut])).stdout);
  const onGpu = ok(run([...flags, '--device', 'webgpu', '--out', gpuOut, '--checkpoint', ck], SWIFTSHADER));
  assert.match(onGpu.stderr, /, webgpu \(.+\)/, 'the banner names the device');
  const g = jsonLines(onGpu.stdout);
  assert.equal(g.length, 3);
  for (let e = 0; e < 3; e++) {
    close(g[e]!['trainLoss']!, cpu[e]!['trainLoss']!, `epoch ${e + 1} train loss`);
    close(g[e]!['testLoss']!, cpu[e]!['testLoss']!, `epoch ${e + 1} test loss`);
  }
  // the files read back to the host: same names, shapes and dtypes, values to rounding
  const a = io.loadSafetensors(cpuOut).tensors, b = io.loadSafetensors(gpuOut).tensors;
  assert.deepEqual(Object.keys(b).sort(), Object.keys(a).sort());
  for (const [k, t] of Object.entries(a)) {
    assert.deepEqual(b[k]!.shape, t.shape, k);
    const x = b[k]!.data, y = t.data;
    for (let i = 0; i < y.length; i++) close(x[i]!, y[i]!, `${k}[${i}]`, 1e-3);
  }
  assert.equal(io.loadCheckpoint(ck).epoch, 3, 'the checkpoint was written from the device');

  // the GPU-trained file on each device
  const evalCpu = JSON.parse(ok(run(['eval', '--model-file', gpuOut, '--json', '--seed', '3'])).stdout) as Record<string, number>;
  const evalGpu = JSON.parse(ok(run(['eval', '--model-file', gpuOut, '--json', '--seed', '3', '--device', 'webgpu'], SWIFTSHADER)).stdout) as Record<string, number>;
  assert.equal(evalGpu['samples'], evalCpu['samples']);
  assert.equal(evalGpu['accuracy'], evalCpu['accuracy']);
  close(evalGpu['loss']!, evalCpu['loss']!, 'eval loss');
  close(evalCpu['loss']!, g[2]!['testLoss']!, 'eval loss against the last epoch\'s test loss');

  const csv = join(tmp, 'points.csv');
  const gen = new Generator(5);
  writeFileSync(csv, `x,y\n${Array.from({ length: 40 }, () => `${gen.normal().toFixed(3)},${gen.normal().toFixed(3)}`).join('\n')}\n`);
  const classes = (r: Run): number[] => r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { class: number }).class);
  const pCpu = ok(run(['predict', '--model-file', gpuOut, '--input', csv, '--json']));
  const pGpu = ok(run(['predict', '--model-file', gpuOut, '--input', csv, '--json', '--device', 'webgpu'], SWIFTSHADER));
  assert.equal(classes(pGpu).length, 40);
  assert.deepEqual(classes(pGpu), classes(pCpu));
});

test('train --device webgpu resumes a checkpoint written on the device', gpu, () => {
  const flags = ['train', '--dataset', 'spirals', '--model', 'mlp:2-8-2', '--seed', '4', '--json', '--device', 'webgpu'];
  const ck = join(tmp, 'resume.safetensors');
  const whole = jsonLines(ok(run([...flags, '--epochs', '3'], SWIFTSHADER)).stdout);
  ok(run([...flags, '--epochs', '2', '--checkpoint', ck], SWIFTSHADER));
  const rest = jsonLines(ok(run([...flags, '--epochs', '3', '--resume', ck], SWIFTSHADER)).stdout);
  assert.equal(rest.length, 1);
  close(rest[0]!['trainLoss']!, whole[2]!['trainLoss']!, 'resumed epoch 3 train loss', 1e-6);
  close(rest[0]!['testLoss']!, whole[2]!['testLoss']!, 'resumed epoch 3 test loss', 1e-6);
});

test('train --dataset text --device webgpu follows the CPU run', gpu, () => {
  const g = new Generator(9);
  const words = ['the', 'king', 'shall', 'speak', 'to', 'my', 'lord', 'and', 'thou', 'art'];
  const text = Array.from({ length: 1500 }, () => words[g.randint(0, words.length)]).join(' ');
  const file = join(tmp, 'words.txt');
  writeFileSync(file, text);
  const flags = ['train', '--dataset', 'text', '--text', file, '--model', 'gpt:layers=1,heads=2,embd=16,block=8', '--batch-size', '4',
    '--iters', '12', '--eval-interval', '6', '--eval-iters', '2', '--clip-grad', '1', '--seed', '1', '--json'];
  const cpu = jsonLines(ok(run(flags)).stdout);
  const out = join(tmp, 'lm.safetensors');
  const onGpu = jsonLines(ok(run([...flags, '--device', 'webgpu', '--out', out], SWIFTSHADER)).stdout);
  assert.deepEqual(onGpu.map((l) => l['iter']), [0, 6, 12]);
  for (let i = 0; i < cpu.length; i++) {
    close(onGpu[i]!['trainLoss']!, cpu[i]!['trainLoss']!, `step ${cpu[i]!['iter']} train loss`);
    close(onGpu[i]!['valLoss']!, cpu[i]!['valLoss']!, `step ${cpu[i]!['iter']} validation loss`);
  }
  assert.ok(onGpu[2]!['trainLoss']! < onGpu[0]!['trainLoss']!, 'the loss falls');
  const gen = ok(run(['generate', '--model-file', out, '--prompt', 'the', '--tokens', '10', '--seed', '2']));
  assert.ok(gen.stdout.startsWith('the') && gen.stdout.length >= 13, gen.stdout);
  // its loss over the whole validation part, on the device and on the CPU
  const evalArgs = ['eval', '--model-file', out, '--text', file, '--json'];
  const evalCpu = JSON.parse(ok(run(evalArgs)).stdout) as Record<string, number>;
  const evalGpu = JSON.parse(ok(run([...evalArgs, '--device', 'webgpu'], SWIFTSHADER)).stdout) as Record<string, number>;
  assert.equal(evalGpu['windows'], evalCpu['windows']);
  close(evalGpu['loss']!, evalCpu['loss']!, 'whole-split loss');
});
