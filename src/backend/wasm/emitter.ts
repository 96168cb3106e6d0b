/**
 * A tiny WebAssembly binary emitter: just enough of the format (types, one imported memory,
 * functions, exports, code) and of the instruction set (i32 control flow, scalar and SIMD
 * loads/stores, f32x4 arithmetic) to generate GEMM kernels at runtime without a build step.
 */

export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;
export type ValType = typeof I32 | typeof F32 | typeof V128;

/** Unsigned LEB128. */
export function uleb(out: number[], v: number): void {
  v >>>= 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
}

/** Signed LEB128 (32-bit range). */
export function sleb(out: number[], v: number): void {
  v |= 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return;
  }
}

/** Instruction stream of one function body. Methods return `this` so code reads top-down. */
export class Code {
  readonly bytes: number[] = [];

  private simd(op: number): this {
    this.bytes.push(0xfd);
    uleb(this.bytes, op);
    return this;
  }
  private memarg(align: number, offset: number): this {
    uleb(this.bytes, align);
    uleb(this.bytes, offset);
    return this;
  }

  // control
  block(): this { this.bytes.push(0x02, 0x40); return this; }
  loop(): this { this.bytes.push(0x03, 0x40); return this; }
  if_(): this { this.bytes.push(0x04, 0x40); return this; }
  else_(): this { this.bytes.push(0x05); return this; }
  end(): this { this.bytes.push(0x0b); return this; }
  br(depth: number): this { this.bytes.push(0x0c); uleb(this.bytes, depth); return this; }
  brIf(depth: number): this { this.bytes.push(0x0d); uleb(this.bytes, depth); return this; }
  drop(): this { this.bytes.push(0x1a); return this; }

  // locals
  get(i: number): this { this.bytes.push(0x20); uleb(this.bytes, i); return this; }
  set(i: number): this { this.bytes.push(0x21); uleb(this.bytes, i); return this; }
  tee(i: number): this { this.bytes.push(0x22); uleb(this.bytes, i); return this; }

  // i32
  i32(v: number): this { this.bytes.push(0x41); sleb(this.bytes, v); return this; }
  eqz(): this { this.bytes.push(0x45); return this; }
  eq(): this { this.bytes.push(0x46); return this; }
  ne(): this { this.bytes.push(0x47); return this; }
  ltS(): this { this.bytes.push(0x48); return this; }
  gtS(): this { this.bytes.push(0x4a); return this; }
  leS(): this { this.bytes.push(0x4c); return this; }
  geS(): this { this.bytes.push(0x4e); return this; }
  add(): this { this.bytes.push(0x6a); return this; }
  sub(): this { this.bytes.push(0x6b); return this; }
  mul(): this { this.bytes.push(0x6c); return this; }
  /** local[i] += delta (constant) */
  inc(i: number, delta: number): this { return this.get(i).i32(delta).add().set(i); }
  /** local[i] += local[j] */
  incBy(i: number, j: number): this { return this.get(i).get(j).add().set(i); }

  i32And(): this { this.bytes.push(0x71); return this; }
  i32ShrU(): this { this.bytes.push(0x76); return this; }
  /** select: [a, b, cond] -> cond ? a : b */
  select(): this { this.bytes.push(0x1b); return this; }

  // f32 scalars
  f32Const(v: number): this {
    this.bytes.push(0x43);
    for (const byte of new Uint8Array(new Float32Array([v]).buffer)) this.bytes.push(byte);
    return this;
  }
  f32Sqrt(): this { this.bytes.push(0x91); return this; }
  f32ConvertI32S(): this { this.bytes.push(0xb2); return this; }
  f32Add(): this { this.bytes.push(0x92); return this; }
  f32Sub(): this { this.bytes.push(0x93); return this; }
  f32Mul(): this { this.bytes.push(0x94); return this; }
  f32Div(): this { this.bytes.push(0x95); return this; }
  f32Max(): this { this.bytes.push(0x97); return this; }

  // scalar memory
  f32Load(offset = 0): this { this.bytes.push(0x2a); return this.memarg(2, offset); }
  f32Store(offset = 0): this { this.bytes.push(0x38); return this.memarg(2, offset); }
  f32Const0(): this { this.bytes.push(0x43, 0, 0, 0, 0); return this; }

  /** memory.copy (bulk memory, memmove semantics): [dst, src, len] -> [] */
  memoryCopy(): this { this.bytes.push(0xfc, 10, 0, 0); return this; }

  // SIMD (0xfd prefix)
  v128Load(offset = 0): this { return this.simd(0x00).memarg(4, offset); }
  v128Load32Splat(offset = 0): this { return this.simd(0x09).memarg(2, offset); }
  v128Store(offset = 0): this { return this.simd(0x0b).memarg(4, offset); }
  v128Zero(): this {
    this.simd(0x0c);
    for (let i = 0; i < 16; i++) this.bytes.push(0);
    return this;
  }
  /** i8x16.shuffle with 16 lane indices (0-15 first operand, 16-31 second). */
  shuffle(lanes: readonly number[]): this {
    this.simd(0x0d);
    for (const l of lanes) this.bytes.push(l);
    return this;
  }
  /** v128.const from four f32 lanes */
  f32x4Const(a: number, b = a, c = a, d = a): this {
    this.simd(0x0c);
    const f = new Float32Array([a, b, c, d]);
    for (const byte of new Uint8Array(f.buffer)) this.bytes.push(byte);
    return this;
  }
  /** v128.const from four i32 lanes */
  i32x4Const(a: number): this {
    this.simd(0x0c);
    const f = new Int32Array([a, a, a, a]);
    for (const byte of new Uint8Array(f.buffer)) this.bytes.push(byte);
    return this;
  }
  v128And(): this { return this.simd(0x4e); }
  v128AndNot(): this { return this.simd(0x4f); }
  v128Or(): this { return this.simd(0x50); }
  v128Xor(): this { return this.simd(0x51); }
  /** bitselect(a, b, mask) = (a & mask) | (b & ~mask) */
  v128Bitselect(): this { return this.simd(0x52); }
  f32x4Eq(): this { return this.simd(0x41); }
  f32x4Ne(): this { return this.simd(0x42); }
  f32x4Lt(): this { return this.simd(0x43); }
  f32x4Gt(): this { return this.simd(0x44); }
  f32x4Ge(): this { return this.simd(0x46); }
  f32x4Nearest(): this { return this.simd(0x6a); }
  i32x4Shl(): this { return this.simd(0xab); }
  i32x4ShrS(): this { return this.simd(0xac); }
  i32x4ShrU(): this { return this.simd(0xad); }
  i32x4Add(): this { return this.simd(0xae); }
  i32x4Sub(): this { return this.simd(0xb1); }
  f32x4Abs(): this { return this.simd(0xe0); }
  f32x4Neg(): this { return this.simd(0xe1); }
  f32x4Sub(): this { return this.simd(0xe5); }
  f32x4Div(): this { return this.simd(0xe7); }
  f32x4Min(): this { return this.simd(0xe8); }
  f32x4Max(): this { return this.simd(0xe9); }
  /** pmin(a, b) = b < a ? b : a: one instruction (min/max spend several on NaN and ±0); a NaN a passes through */
  f32x4Pmin(): this { return this.simd(0xea); }
  /** pmax(a, b) = a < b ? b : a; a NaN a passes through */
  f32x4Pmax(): this { return this.simd(0xeb); }
  i32x4TruncSatF32x4S(): this { return this.simd(0xf8); }
  f32x4ConvertI32x4S(): this { return this.simd(0xfa); }
  f32x4Splat(): this { return this.simd(0x13); }
  f32x4ExtractLane(lane: number): this { this.simd(0x1f); this.bytes.push(lane); return this; }
  f32x4Add(): this { return this.simd(0xe4); }
  f32x4Mul(): this { return this.simd(0xe6); }
  /** relaxed-simd f32x4.relaxed_madd(a, b, c) = a*b + c (fused or not, implementation choice). */
  f32x4RelaxedMadd(): this { return this.simd(0x105); }
}

export interface FuncDef {
  name: string | null;
  params: readonly ValType[];
  results: readonly ValType[];
  locals: readonly ValType[];
  code: Code;
}

export interface MemoryImport {
  module: string;
  name: string;
  initial: number;
  maximum: number;
  shared: boolean;
}

function section(out: number[], id: number, body: number[]): void {
  out.push(id);
  uleb(out, body.length);
  for (const b of body) out.push(b);
}

function str(out: number[], s: string): void {
  const enc = new TextEncoder().encode(s);
  uleb(out, enc.length);
  for (const b of enc) out.push(b);
}

/** Assemble a module: optional imported memory, then the functions (exported if named). */
export function buildModule(memory: MemoryImport | null, funcs: readonly FuncDef[]): Uint8Array<ArrayBuffer> {
  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

  // types: one per function (duplicates are legal and keep the emitter trivial)
  const types: number[] = [];
  uleb(types, funcs.length);
  for (const f of funcs) {
    types.push(0x60);
    uleb(types, f.params.length);
    types.push(...f.params);
    uleb(types, f.results.length);
    types.push(...f.results);
  }
  section(out, 1, types);

  if (memory) {
    const imp: number[] = [];
    uleb(imp, 1);
    str(imp, memory.module);
    str(imp, memory.name);
    imp.push(0x02, memory.shared ? 0x03 : 0x01);
    uleb(imp, memory.initial);
    uleb(imp, memory.maximum);
    section(out, 2, imp);
  }

  const fsec: number[] = [];
  uleb(fsec, funcs.length);
  funcs.forEach((_, i) => uleb(fsec, i));
  section(out, 3, fsec);

  const exp: number[] = [];
  const named = funcs.map((f, i) => [f.name, i] as const).filter(([n]) => n !== null);
  uleb(exp, named.length);
  for (const [n, i] of named) {
    str(exp, n as string);
    exp.push(0x00);
    uleb(exp, i);
  }
  section(out, 7, exp);

  const code: number[] = [];
  uleb(code, funcs.length);
  for (const f of funcs) {
    const body: number[] = [];
    // run-length encode the local declarations
    const groups: [number, ValType][] = [];
    for (const t of f.locals) {
      const last = groups[groups.length - 1];
      if (last && last[1] === t) last[0]++;
      else groups.push([1, t]);
    }
    uleb(body, groups.length);
    for (const [n, t] of groups) { uleb(body, n); body.push(t); }
    for (const b of f.code.bytes) body.push(b);
    body.push(0x0b);
    uleb(code, body.length);
    for (const b of body) code.push(b);
  }
  section(out, 10, code);
  return new Uint8Array(out);
}
