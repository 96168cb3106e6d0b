/**
 * Scaled dot-product attention and its gradient, one workgroup per query row (or per key row
 * for dk and dv), so no scores tensor is ever stored. Keys go by in chunks of one workgroup:
 * each thread scores one key, the chunk's max and sum come from fixed reduction trees, and each
 * thread then accumulates its own columns over the chunk in key order. Nothing depends on the
 * order in which threads or workgroups finish.
 *
 *   attention       per query row: running max and sum over the visible keys, then Σ_j p_j·v_j
 *   attentionGrad   per query row: the same statistics and t = Σ_j p_j·(g·v_j), kept in a scratch
 *                   buffer, and dq = Σ_j ds_j·k_j; then per key row: dk = Σ_i ds_ij·q_i and
 *                   dv = Σ_i p_ij·g_i over the queries that see the key
 *
 * q, k and v may be one storage (a packed projection), and so may dq, dk and dv: operands that
 * share a buffer share its binding.
 */
import type { AttentionArgs, AttentionLayout } from '../../backend.js';
import type { GpuBuffer } from '../buffer.js';
import type { GpuRuntime, Kernel } from '../runtime.js';
import { f2u } from '../runtime.js';
import { distinctBindings, floatOnly, treeReductions, type Operand } from './common.js';
import { ShapeError } from '../../../errors.js';

/** Threads per row: keys per chunk, and the stride of a thread's columns. */
const AWG = 64;
/** Rows of q, k, v or g up to this many features are cached in workgroup memory. */
const CACHE_D = 1024;

/** Parameter words: sizes, then the q, k, v and out (or g) layouts from word LAY. */
const LAY = 7;
const layoutWords = (l: AttentionLayout): number[] => [l.offset, l.batchStride, l.headStride, l.rowStride];

function params(a: AttentionArgs, rows: number): number[] {
  return [rows, a.heads, a.l, a.s, a.d, f2u(a.scale), a.causal ? 1 : 0, ...layoutWords(a.q), ...layoutWords(a.k), ...layoutWords(a.v), ...layoutWords(a.out)];
}

/** The WGSL offset of head (b, h) in layout number `k` (0 q, 1 k, 2 v, 3 out/g). */
const base = (k: number): string => `pu(${LAY + 4 * k}u) + b * pu(${LAY + 4 * k + 1}u) + h * pu(${LAY + 4 * k + 2}u)`;
const rowStride = (k: number): string => `pu(${LAY + 4 * k + 3}u)`;

/**
 * Whether a layout's [batch, heads, rows, d] elements are exactly the buffer's: then a kernel that
 * writes the layout writes every element, and the buffer needs no clearing first.
 */
function covers(l: AttentionLayout, a: AttentionArgs, rows: number, length: number): boolean {
  if (a.batch * a.heads * rows * a.d !== length || l.offset !== 0) return false;
  const dims = [[a.batch, l.batchStride], [a.heads, l.headStride], [rows, l.rowStride], [a.d, 1]].filter(([n]) => n! > 1).sort((x, y) => x[1]! - y[1]!);
  let expect = 1;
  for (const [n, stride] of dims) {
    if (stride !== expect) return false;
    expect *= n!;
  }
  return true;
}

/** Every element any layout reaches must lie inside its buffer (a kernel reading past it would read garbage or fail). */
function checkBounds(op: string, name: string, l: AttentionLayout, a: AttentionArgs, rows: number, length: number): void {
  if (a.batch * a.heads * rows * a.d === 0) return;
  const last = l.offset + (a.batch - 1) * l.batchStride + (a.heads - 1) * l.headStride + (rows - 1) * l.rowStride + a.d - 1;
  if (last >= length) throw new ShapeError(`${op}: the ${name} layout reaches element ${last}, but its storage has ${length}`);
}

/** The head and row of this workgroup: `row` counts rows of `per` (l or s) within heads, within batches. */
function rowHead(per: string): string {
  return `  let row = wg.y * nwg.x + wg.x;
  if (row >= pu(0u)) { return; }
  let heads = pu(1u); let L = pu(2u); let S = pu(3u); let D = pu(4u); let scale = pf(5u); let causal = pu(6u) != 0u;
  let r = row % ${per}; let bh = row / ${per}; let h = bh % heads; let b = bh / heads;`;
}

/**
 * Workgroup caches of the two rows every thread reads (q_i and g_i, or k_j and v_j): WGSL that
 * declares them and the expressions that read column `c` from the cache or, past CACHE_D
 * features, from the buffer itself.
 */
function rowCache(cached: boolean, nacc: number, a: string, b: string | null): { decl: string; fill: string; ra: (c: string) => string; rb: (c: string) => string } {
  if (!cached) return { decl: '', fill: '', ra: (c) => `${a}[ra + ${c}]`, rb: (c) => `${b}[rb + ${c}]` };
  return {
    decl: `var<workgroup> ca: array<f32, ${nacc * AWG}>;\n${b ? `var<workgroup> cb: array<f32, ${nacc * AWG}>;\n` : ''}`,
    fill: `  for (var c = t; c < D; c += ${AWG}u) { ca[c] = ${a}[ra + c];${b ? ` cb[c] = ${b}[rb + c];` : ''} }
  workgroupBarrier();\n`,
    ra: (c) => `ca[${c}]`,
    rb: (c) => `cb[${c}]`,
  };
}

const ENTRY = `@compute @workgroup_size(${AWG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {`;

/**
 * WGSL of the first sweep over the n visible keys of a query row: the running max m (NaN wins,
 * as on the CPU) and lsum = Σ exp(score − m), and with `dpExpr` also u = Σ exp(score − m)·(g·v_j),
 * both rescaled whenever a chunk raises m. `score` is the WGSL of key j's scaled score, `dpExpr`
 * of g·v_j.
 */
function statsSweep(score: string, dpExpr: string | null): string {
  return `  var m = -inf_f32(); var lsum = 0.0;${dpExpr ? ' var u = 0.0;' : ''}
  for (var j0 = 0u; j0 < n; j0 += ${AWG}u) {
    let j = j0 + t;
    let on = j < n;
    var sc = -inf_f32();
    if (on) { sc = ${score}; }
    let cm = rmax(t, sc);
    var mn = m;
    if (!is_nan(m) && (cm > m || is_nan(cm))) { mn = cm; }
    let e = select(0.0, exp_(sc - mn), on);
    let keep = select(exp_(m - mn), 0.0, j0 == 0u);
    lsum = lsum * keep + rsum(t, e);
${dpExpr ? `    var dp = 0.0;
    if (on) { dp = ${dpExpr}; }
    u = u * keep + rsum(t, e * dp);
` : ''}    m = mn;
  }`;
}

/** One weighted sum of a weighted-rows loop: acc[x] += w[i]·m[base + row i·stride + column]. */
interface RowTerm { acc: string; w: string; m: string; base: string; stride: string }

/**
 * WGSL: rows start..end−1 in chunks of one workgroup. Each thread first writes its row's weights
 * (`setWeights`, with the row index named `row`) into workgroup arrays; then every thread adds
 * the chunk's weighted rows, in row order, to its columns of each term's accumulator.
 */
function weightedRowSums(nacc: number, start: string, end: string, row: string, setWeights: string, terms: readonly RowTerm[]): string {
  const each = (f: (q: RowTerm, i: number) => string): string => terms.map(f).join(' ');
  return `  for (var c0 = ${start}; c0 < ${end}; c0 += ${AWG}u) {
    let ${row} = c0 + t;
    if (${row} < ${end}) {
${setWeights}
    }
    workgroupBarrier();
    let cnt = min(${AWG}u, ${end} - c0);
    for (var x = 0u; x < ${nacc}u; x++) {
      let c = t + x * ${AWG}u;
      if (c < D) {
        ${each((q, i) => `var s${i} = ${q.acc}[x];`)}
        for (var ii = 0u; ii < cnt; ii++) {
          ${each((q, i) => `s${i} += ${q.w}[ii] * ${q.m}[${q.base} + (c0 + ii) * ${q.stride} + c];`)}
        }
        ${each((q, i) => `${q.acc}[x] = s${i};`)}
      }
    }
    workgroupBarrier();
  }
`;
}

/** A WGSL function `name(args)`: the dot product over the D features of x and y, expressions in the loop's `c`. */
function dotFn(name: string, args: string, x: string, y: string): string {
  return `fn ${name}(${args}) -> f32 {\n  var s = 0.0;\n  for (var c = 0u; c < pu(4u); c++) { s += ${x} * ${y}; }\n  return s;\n}\n`;
}

function accumDecls(nacc: number, names: readonly string[]): string {
  return names.map((n) => `  var ${n}: array<f32, ${nacc}>;\n`).join('');
}

/** out = softmax(scale·q·kᵀ, causally masked)·v for every (batch, head, query row). */
export function attention(rt: GpuRuntime, q: GpuBuffer, k: GpuBuffer, v: GpuBuffer, a: AttentionArgs, out: GpuBuffer): void {
  floatOnly(q.dtype, 'attention');
  const rows = a.batch * a.heads * a.l;
  if (rows * a.d === 0) return;
  checkBounds('attention', 'q', a.q, a, a.l, q.length);
  checkBounds('attention', 'k', a.k, a, a.s, k.length);
  checkBounds('attention', 'v', a.v, a, a.s, v.length);
  checkBounds('attention', 'out', a.out, a, a.l, out.length);
  const nacc = Math.ceil(a.d / AWG);
  const cached = a.d <= CACHE_D;
  const ops: Operand[] = [
    { name: 'qb', buffer: q, access: 'read' }, { name: 'kb', buffer: k, access: 'read' }, { name: 'vb', buffer: v, access: 'read' },
    { name: 'ob', buffer: out, access: covers(a.out, a, a.l, out.length) ? 'write' : 'rw' },
  ];
  const bind = distinctBindings(ops, 'f32');
  const [Q, K, V, O] = bind.names as [string, string, string, string];
  const cache = rowCache(cached, nacc, Q, null);
  const kernel: Kernel = {
    key: `attention:${bind.key}:${cached ? nacc : 'global'}`,
    decls: bind.decls,
    body: () => `${treeReductions(AWG)}
var<workgroup> sp: array<f32, ${AWG}>;
${cache.decl}var<private> ra: u32;
${dotFn('qk', 'kj: u32', cache.ra('c'), `${K}[kj + c]`)}
${ENTRY}
${rowHead('L')}
  let i = r;
  let n = select(S, min(S, i + 1u), causal);
  ra = ${base(0)} + i * ${rowStride(0)};
  let kb0 = ${base(1)}; let kr = ${rowStride(1)};
  let vb0 = ${base(2)}; let vr = ${rowStride(2)};
  let oi = ${base(3)} + i * ${rowStride(3)};
${cache.fill}${statsSweep('qk(kb0 + j * kr) * scale', null)}
${accumDecls(nacc, ['acc'])}${weightedRowSums(nacc, '0u', 'n', 'j', '      sp[t] = exp_(qk(kb0 + j * kr) * scale - m) / lsum;', [{ acc: 'acc', w: 'sp', m: V, base: 'vb0', stride: 'vr' }])}  for (var x = 0u; x < ${nacc}u; x++) { let c = t + x * ${AWG}u; if (c < D) { ${O}[oi + c] = acc[x]; } }
}`,
  };
  rt.run(kernel, bind.buffers, params(a, rows), rows);
}

/**
 * The gradient of attention: dq, dk and dv in the layouts of q, k and v (every element of each
 * overwritten), from the output gradient g in the out layout, the weights recomputed.
 */
export function attentionGrad(rt: GpuRuntime, q: GpuBuffer, k: GpuBuffer, v: GpuBuffer, g: GpuBuffer, a: AttentionArgs, dq: GpuBuffer, dk: GpuBuffer, dv: GpuBuffer): void {
  floatOnly(q.dtype, 'attentionGrad');
  if (a.d === 0) return;
  const qRows = a.batch * a.heads * a.l, kRows = a.batch * a.heads * a.s;
  checkBounds('attentionGrad', 'q', a.q, a, a.l, q.length);
  checkBounds('attentionGrad', 'k', a.k, a, a.s, k.length);
  checkBounds('attentionGrad', 'v', a.v, a, a.s, v.length);
  checkBounds('attentionGrad', 'g', a.out, a, a.l, g.length);
  checkBounds('attentionGrad', 'dq', a.q, a, a.l, dq.length);
  checkBounds('attentionGrad', 'dk', a.k, a, a.s, dk.length);
  checkBounds('attentionGrad', 'dv', a.v, a, a.s, dv.length);
  const nacc = Math.ceil(a.d / AWG);
  const cached = a.d <= CACHE_D;
  // an output that shares its buffer, or leaves some of it out, is cleared before the first write
  const access = (buf: GpuBuffer, l: AttentionLayout, rows: number): Operand['access'] =>
    [dq, dk, dv].filter((o) => o === buf).length === 1 && covers(l, a, rows, buf.length) ? 'write' : 'rw';
  const stats = rt.alloc('float32', 3 * qRows);
  const reads: Operand[] = [{ name: 'qb', buffer: q, access: 'read' }, { name: 'kb', buffer: k, access: 'read' }, { name: 'vb', buffer: v, access: 'read' }, { name: 'gb', buffer: g, access: 'read' }];

  if (qRows > 0) {
    const bind = distinctBindings([...reads, { name: 'st', buffer: stats, access: 'write' }, { name: 'dqb', buffer: dq, access: access(dq, a.q, a.l) }], 'f32');
    const [Q, K, V, G, ST, DQ] = bind.names as [string, string, string, string, string, string];
    const cache = rowCache(cached, nacc, Q, G);
    const kernel: Kernel = {
      key: `attentionGrad:q:${bind.key}:${cached ? nacc : 'global'}`,
      decls: bind.decls,
      body: () => `${treeReductions(AWG)}
var<workgroup> sds: array<f32, ${AWG}>;
${cache.decl}var<private> ra: u32;
var<private> rb: u32;
${dotFn('qk', 'kj: u32', cache.ra('c'), `${K}[kj + c]`)}
${dotFn('gv', 'vj: u32', cache.rb('c'), `${V}[vj + c]`)}
${ENTRY}
${rowHead('L')}
  let i = r;
  let n = select(S, min(S, i + 1u), causal);
  ra = ${base(0)} + i * ${rowStride(0)};
  rb = ${base(3)} + i * ${rowStride(3)};
  let kb0 = ${base(1)}; let kr = ${rowStride(1)};
  let vb0 = ${base(2)}; let vr = ${rowStride(2)};
${cache.fill}${statsSweep('qk(kb0 + j * kr) * scale', 'gv(vb0 + j * vr)')}
  let tv = u / lsum;
  if (t == 0u) { ${ST}[3u * row] = m; ${ST}[3u * row + 1u] = lsum; ${ST}[3u * row + 2u] = tv; }
${accumDecls(nacc, ['acc'])}${weightedRowSums(nacc, '0u', 'n', 'j', `      let p = exp_(qk(kb0 + j * kr) * scale - m) / lsum;
      sds[t] = p * (gv(vb0 + j * vr) - tv) * scale;`, [{ acc: 'acc', w: 'sds', m: K, base: 'kb0', stride: 'kr' }])}  for (var x = 0u; x < ${nacc}u; x++) { let c = t + x * ${AWG}u; if (c < D) { ${DQ}[ra + c] = acc[x]; } }
}`,
    };
    rt.run(kernel, bind.buffers, params(a, qRows), qRows);
  }

  if (kRows > 0) {
    const bind = distinctBindings([...reads, { name: 'st', buffer: stats, access: 'read' },
      { name: 'dkb', buffer: dk, access: access(dk, a.k, a.s) }, { name: 'dvb', buffer: dv, access: access(dv, a.v, a.s) }], 'f32');
    const [Q, , , G, ST, DK, DV] = bind.names as [string, string, string, string, string, string, string];
    const [, K, V] = bind.names as [string, string, string];
    const cache = rowCache(cached, nacc, K, V);
    const kernel: Kernel = {
      key: `attentionGrad:kv:${bind.key}:${cached ? nacc : 'global'}`,
      decls: bind.decls,
      body: () => `${treeReductions(AWG)}
var<workgroup> sp: array<f32, ${AWG}>;
var<workgroup> sds: array<f32, ${AWG}>;
${cache.decl}var<private> ra: u32;
var<private> rb: u32;
${dotFn('kq', 'qi: u32', cache.ra('c'), `${Q}[qi + c]`)}
${dotFn('vg', 'gi: u32', cache.rb('c'), `${G}[gi + c]`)}
${ENTRY}
${rowHead('S')}
  let j = r;
  ra = ${base(1)} + j * ${rowStride(1)};
  rb = ${base(2)} + j * ${rowStride(2)};
  let qb0 = ${base(0)}; let qr = ${rowStride(0)};
  let gb0 = ${base(3)}; let gr = ${rowStride(3)};
  // the queries that see key j: all of them, or j..L−1 under the causal mask
  let i0 = select(0u, j, causal);
${cache.fill}${accumDecls(nacc, ['ak', 'av'])}${weightedRowSums(nacc, 'i0', 'L', 'i', `      let sr = 3u * (bh * L + i);
      let p = exp_(kq(qb0 + i * qr) * scale - ${ST}[sr]) / ${ST}[sr + 1u];
      sp[t] = p;
      sds[t] = p * (vg(gb0 + i * gr) - ${ST}[sr + 2u]) * scale;`, [{ acc: 'ak', w: 'sds', m: Q, base: 'qb0', stride: 'qr' }, { acc: 'av', w: 'sp', m: G, base: 'gb0', stride: 'gr' }])}  for (var x = 0u; x < ${nacc}u; x++) {
    let c = t + x * ${AWG}u;
    if (c < D) { ${DK}[ra + c] = ak[x]; ${DV}[rb + c] = av[x]; }
  }
}`,
    };
    rt.run(kernel, bind.buffers, params(a, kRows), kRows);
  }
  rt.release(stats);
}
