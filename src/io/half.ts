// Half-precision encodings used by safetensors files: IEEE binary16 (F16: 1 sign, 5 exponent,
// 10 mantissa bits) and bfloat16 (BF16: the top 16 bits of a float32). Every value of either
// is exact in float32, so decoding is exact; encoding rounds a JS number (a float32 value is
// exact in it) to nearest, ties to even, in one step. PyTorch rounds float64 through float32
// first, which can differ on rare ties; a float32 tensor gives PyTorch's bits.

const scratch = new DataView(new ArrayBuffer(8));

interface HalfFormat {
  /** mantissa bits */
  readonly mant: number;
  /** exponent bias */
  readonly bias: number;
  /** bits of +infinity */
  readonly inf: number;
  /** bits of the canonical quiet NaN (sign added separately) */
  readonly nan: number;
  /** the smallest magnitude that rounds to infinity: halfway between the largest finite and 2^(emax+1) */
  readonly overflow: number;
}

const F16: HalfFormat = { mant: 10, bias: 15, inf: 0x7c00, nan: 0x7e00, overflow: 65520 };
const BF16: HalfFormat = { mant: 7, bias: 127, inf: 0x7f80, nan: 0x7fc0, overflow: (2 - 2 ** -8) * 2 ** 127 };

/** q rounded to an integer, ties to even (q ≥ 0). */
function roundHalfEven(q: number): number {
  const n = Math.floor(q);
  const r = q - n; // exact: n ≤ q < n + 1
  return r > 0.5 || (r === 0.5 && n % 2 === 1) ? n + 1 : n;
}

function encode(x: number, f: HalfFormat): number {
  scratch.setFloat64(0, x);
  const hi = scratch.getUint32(0);
  const sign = (hi >>> 16) & 0x8000; // kept for -0, -inf and NaN too
  if (Number.isNaN(x)) return sign | f.nan;
  const a = Math.abs(x);
  if (a >= f.overflow) return sign | f.inf;
  const eMin = 1 - f.bias;
  if (a < 2 ** eMin) {
    // subnormal: a count of the smallest step 2^(eMin - mant); 2^mant of them carries into the smallest normal
    return sign | roundHalfEven(a * 2 ** (f.mant - eMin));
  }
  const e = ((hi >>> 20) & 0x7ff) - 1023; // a is a normal double here: a ≥ 2^-126
  // (a / 2^e - 1) · 2^mant is exact; a mantissa rounding up to 2^mant carries into the exponent
  return sign | (((e + f.bias) << f.mant) + roundHalfEven((a * 2 ** -e - 1) * 2 ** f.mant));
}

/**
 * IEEE float16 bits of x, correctly rounded (ties to even; subnormals; overflow to ±infinity;
 * NaN stays NaN).
 * @example float16Bits(1) // 0x3c00
 */
export function float16Bits(x: number): number {
  return encode(x, F16);
}

/**
 * bfloat16 bits of x, correctly rounded (ties to even; subnormals; overflow to ±infinity; NaN stays NaN).
 * @example bfloat16Bits(1) // 0x3f80
 */
export function bfloat16Bits(x: number): number {
  return encode(x, BF16);
}

/**
 * The value of IEEE float16 bits.
 * @example float16Value(0x3c00) // 1
 */
export function float16Value(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const e = (bits >>> 10) & 0x1f;
  const m = bits & 0x3ff;
  if (e === 0x1f) return m === 0 ? sign * Infinity : NaN;
  if (e === 0) return sign * m * 2 ** -24;
  return sign * (1024 + m) * 2 ** (e - 25);
}

/**
 * The value of bfloat16 bits.
 * @example bfloat16Value(0x3f80) // 1
 */
export function bfloat16Value(bits: number): number {
  scratch.setUint32(0, (bits & 0xffff) << 16);
  return scratch.getFloat32(0);
}
