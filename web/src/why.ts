/**
 * "Why backprop": times one gradient by backprop against finite differences for growing
 * networks (in a separate worker) and plots both on a log-log chart.
 */
import type { BenchPoint, FromWorker } from './protocol.js';
import { fmtAxis, svgEl } from './svg.js';

const SIZES = [100, 300, 1000, 3000, 10000, 30000, 100000];

export class WhyBackprop {
  private worker: Worker | null = null;
  private points: BenchPoint[] = [];
  private readonly button: HTMLButtonElement;
  private readonly chart: SVGSVGElement;
  private readonly status: HTMLElement;
  private readonly summary: HTMLElement;

  constructor(root: HTMLElement) {
    this.button = root.querySelector('#why-run')!;
    this.chart = root.querySelector('#why-chart')!;
    this.status = root.querySelector('#why-status')!;
    this.summary = root.querySelector('#why-summary')!;
    this.button.addEventListener('click', () => this.run());
    this.draw();
  }

  private run(): void {
    this.points = [];
    this.button.disabled = true;
    this.status.textContent = 'measuring…';
    this.summary.textContent = '';
    this.draw();
    if (!this.worker) {
      this.worker = new Worker(new URL('./train-worker.js', import.meta.url), { type: 'module', name: 'backprop-bench' });
      this.worker.onmessage = (e: MessageEvent<FromWorker>) => this.onMessage(e.data);
    }
    this.worker.postMessage({ type: 'bench', sizes: SIZES });
  }

  private onMessage(m: FromWorker): void {
    if (m.type === 'bench-point') {
      this.points.push(m.point);
      this.status.textContent = `measured ${this.points.length} of ${SIZES.length} sizes…`;
      this.draw();
    } else if (m.type === 'bench-done') {
      this.button.disabled = false;
      this.status.textContent = 'done';
      const last = this.points[this.points.length - 1];
      if (last) {
        const ratio = last.finiteDiffMs / last.backpropMs;
        this.summary.textContent = `At ${last.params.toLocaleString('en-US')} parameters one backprop gradient took `
          + `${last.backpropMs.toFixed(1)} ms; finite differences would take about ${human(last.finiteDiffMs)} `
          + `(${Math.round(ratio).toLocaleString('en-US')}× longer). Backprop costs a small constant number of forward passes; `
          + 'finite differences need two forward passes per parameter.';
      }
    } else if (m.type === 'error') {
      this.button.disabled = false;
      this.status.textContent = `error: ${m.message}`;
    }
  }

  private draw(): void {
    const svg = this.chart;
    svg.replaceChildren();
    const W = 640, H = 360, pad = { l: 70, r: 20, t: 20, b: 50 };
    svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
    const pw = W - pad.l - pad.r, ph = H - pad.t - pad.b;
    const ys = this.points.flatMap((p) => [p.backpropMs, p.finiteDiffMs]);
    const yMin = Math.pow(10, Math.floor(Math.log10(Math.min(0.01, ...ys))));
    const yMax = Math.pow(10, Math.ceil(Math.log10(Math.max(1000, ...ys))));
    const xMin = 50, xMax = 2e5;
    const sx = (v: number): number => pad.l + ((Math.log10(v) - Math.log10(xMin)) / (Math.log10(xMax) - Math.log10(xMin))) * pw;
    const sy = (v: number): number => pad.t + ph - ((Math.log10(v) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * ph;
    const axes = svgEl('g', { class: 'axes' }, svg);
    for (let e = 2; e <= 5; e++) {
      const x = sx(10 ** e);
      svgEl('line', { x1: x, x2: x, y1: pad.t, y2: pad.t + ph, class: 'grid' }, axes);
      svgEl('text', { x, y: pad.t + ph + 18, 'text-anchor': 'middle' }, axes, fmtAxis(10 ** e));
    }
    const step = Math.log10(yMax / yMin) > 6 ? 2 : 1;
    for (let e = Math.log10(yMin); e <= Math.log10(yMax) + 1e-9; e += step) {
      const y = sy(10 ** e);
      svgEl('line', { x1: pad.l, x2: pad.l + pw, y1: y, y2: y, class: 'grid' }, axes);
      const v = 10 ** e;
      svgEl('text', { x: pad.l - 6, y: y + 4, 'text-anchor': 'end' }, axes, v < 1000 ? `${+v.toPrecision(1)} ms` : `${+(v / 1000).toPrecision(1)} s`);
    }
    svgEl('text', { x: pad.l + pw / 2, y: H - 8, 'text-anchor': 'middle', class: 'axis-title' }, axes, 'parameters (log scale)');
    svgEl('text', { x: 14, y: pad.t + ph / 2, 'text-anchor': 'middle', class: 'axis-title', transform: `rotate(-90 14 ${pad.t + ph / 2})` }, axes, 'time for one gradient (log)');
    const series = (key: 'backpropMs' | 'finiteDiffMs', cls: string): void => {
      if (!this.points.length) return;
      const d = this.points.map((p, i) => `${i ? 'L' : 'M'}${sx(p.params).toFixed(1)},${sy(p[key]).toFixed(1)}`).join(' ');
      svgEl('path', { d, class: `series ${cls}` }, svg);
      for (const p of this.points) {
        const extrapolated = key === 'finiteDiffMs' && p.sampled < p.params;
        const c = svgEl('circle', { cx: sx(p.params), cy: sy(p[key]), r: 5, class: `pt ${cls}${extrapolated ? ' extrapolated' : ''}` }, svg);
        svgEl('title', {}, c, `${p.params} parameters: ${human(p[key])}${extrapolated ? ` (extrapolated from ${p.sampled} parameters)` : ''}`);
      }
    };
    series('finiteDiffMs', 'fd');
    series('backpropMs', 'bp');
    const legend = svgEl('g', { class: 'legend' }, svg);
    const item = (y: number, cls: string, label: string, hollow = false): void => {
      svgEl('circle', { cx: pad.l + 16, cy: y, r: 5, class: `pt ${cls}${hollow ? ' extrapolated' : ''}` }, legend);
      svgEl('text', { x: pad.l + 28, y: y + 4 }, legend, label);
    };
    item(pad.t + 12, 'fd', 'finite differences (measured)');
    item(pad.t + 30, 'fd', 'finite differences (sampled, extrapolated)', true);
    item(pad.t + 48, 'bp', 'backprop: one forward + backward');
  }
}

/** ms → "3.2 ms", "4.1 s", "7 min", "2.5 h". */
function human(ms: number): string {
  if (ms < 1) return `${+ms.toPrecision(2)} ms`;
  if (ms < 1000) return `${+ms.toPrecision(3)} ms`;
  const s = ms / 1000;
  if (s < 120) return `${+s.toPrecision(3)} s`;
  if (s < 7200) return `${+(s / 60).toPrecision(3)} min`;
  return `${+(s / 3600).toPrecision(3)} h`;
}
