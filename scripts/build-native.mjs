// Builds the native CPU kernels (native/*.cc) into native/build/backprop.node with the system's
// C++ compiler, for this machine's own vector width (-march=native). Part of `npm run build`, so
// `npm install` in a clone builds it. It needs no Node headers (native/napi.h declares the few
// Node-API functions it calls) and no network.
//
// Never fails the install: without a compiler, or if compiling fails, it says why and exits 0, and
// the library runs on the wasm backend. `--strict` makes a failure exit 1 (CI, to notice a break).
// Set BACKPROP_NATIVE=0 to skip building (and loading) it.
//
//   node scripts/build-native.mjs [--strict] [--force]
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = join(root, 'native');
const outDir = join(srcDir, 'build');
const out = join(outDir, 'backprop.node');
// what the addon was compiled for: the loader refuses a -march=native build on another CPU model,
// where it could meet an instruction the CPU lacks (SIGILL) instead of a clear message
const stamp = join(outDir, 'backprop.json');
const strict = process.argv.includes('--strict');
const force = process.argv.includes('--force');

function skip(why) {
  console.log(`build-native: ${why}; the CPU kernels stay on the wasm backend`);
  process.exit(strict ? 1 : 0);
}

if (process.env.BACKPROP_NATIVE === '0') skip('BACKPROP_NATIVE=0');
if (!existsSync(srcDir)) skip(`no sources in ${srcDir}`);
const sources = readdirSync(srcDir).filter((f) => f.endsWith('.cc')).map((f) => join(srcDir, f));
const inputs = [...sources, ...readdirSync(srcDir).filter((f) => f.endsWith('.h')).map((f) => join(srcDir, f))];

// up to date: every source older than the addon
if (!force && existsSync(out) && existsSync(stamp)) {
  const built = statSync(out).mtimeMs;
  if (inputs.every((f) => statSync(f).mtimeMs <= built)) process.exit(0);
}

const cxx = process.env.CXX || 'g++';
mkdirSync(outDir, { recursive: true });
const tmp = `${out}.${process.pid}.tmp`;
const base = ['-O3', '-fno-math-errno', '-std=c++17', '-shared', '-fPIC', '-pthread', '-o', tmp, ...sources];
// macOS: Node-API symbols are resolved from the node binary at load time
if (process.platform === 'darwin') base.push('-undefined', 'dynamic_lookup');

function compile(extra) {
  const r = spawnSync(cxx, [...extra, ...base], { encoding: 'utf8' });
  if (r.error) return { ok: false, why: `${cxx} not found (${r.error.code ?? r.error.message})` };
  return { ok: r.status === 0, why: (r.stderr || '').trim().split('\n').slice(0, 8).join('\n') };
}

const t0 = Date.now();
let r = { ...compile(['-march=native']), native: true };
// some compilers (or CPUs) reject -march=native: the portable build still vectorizes at the baseline
if (!r.ok && !r.why.includes('not found')) r = { ...compile([]), native: false };
if (!r.ok) {
  rmSync(tmp, { force: true });
  skip(`compiling failed: ${r.why}`);
}
// each finished file replaces the old one in one step, so a crash never leaves a half-written one
function commit(from, to) {
  const fd = openSync(from, 'r');
  fsyncSync(fd);
  closeSync(fd);
  renameSync(from, to);
}
/** The CPU's feature flags on Linux (what -march=native compiled for), else null. */
function cpuFlags() {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => /^(flags|Features)\s*:/.test(l));
    return line ? line.split(':')[1].trim().split(/\s+/).sort() : null;
  } catch {
    return null;
  }
}
const stampTmp = `${stamp}.${process.pid}.tmp`;
writeFileSync(stampTmp, `${JSON.stringify({ cpu: cpus()[0]?.model ?? 'unknown', arch: process.arch, native: r.native, flags: cpuFlags() })}\n`);
// the stamp first: an addon without a matching stamp is rebuilt, never trusted
rmSync(stamp, { force: true });
commit(tmp, out);
commit(stampTmp, stamp);
console.log(`build-native: ${out} (${cxx}, ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
