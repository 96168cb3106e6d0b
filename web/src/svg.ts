/** Small helpers for building SVG by hand (no framework). */
const NS = 'http://www.w3.org/2000/svg';

export type Attrs = Record<string, string | number>;

/** Creates an SVG element with attributes and optional text, appended to `parent` if given. */
export function svgEl<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Attrs = {}, parent?: Element, text?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}

/** A number to 3 decimals without "-0.000". */
export function fmt(v: number, digits = 3): string {
  const s = v.toFixed(digits);
  return /^-0\.?0*$/.test(s) ? s.slice(1) : s;
}

/** Compact engineering format for chart axes: 1e-3 → "0.001", 25000 → "25k". */
export function fmtAxis(v: number): string {
  if (v >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (v >= 1e3) return `${+(v / 1e3).toPrecision(3)}k`;
  if (v >= 1) return `${+v.toPrecision(3)}`;
  return `${+v.toPrecision(2)}`;
}
