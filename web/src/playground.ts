/**
 * The playground: choose a 2-D dataset and an MLP, train it in a worker, and watch the loss
 * curve and the decision boundary (the model evaluated on a grid) update while the page stays
 * responsive. Training runs on the CPU or, where the browser offers it, on WebGPU.
 */
import type { DeviceInUse, PageDevice, WebGpuAvailability } from './backend-choice.js';
import type { Activation, DatasetName, FromWorker, OptimizerName, ToWorker, TrainConfig } from './protocol.js';
import { drawLossChart, fitCanvas } from './loss-chart.js';
import { fmt } from './svg.js';
import { TrainPauseButtons, WorkerLink } from './worker-link.js';

export const CLASS_COLORS: [number, number, number][] = [
  [31, 119, 180], [230, 120, 20], [44, 160, 44], [148, 80, 190], [200, 50, 60],
];

const GRID = 60;

export class Playground {
  private readonly link = new WorkerLink<ToWorker, FromWorker>(
    new URL('./train-worker.js', import.meta.url), 'backprop-train', (m) => this.onMessage(m), (message) => { this.el.error.textContent = message; });
  private points: { x: Float32Array; y: Int32Array; numClasses: number } | null = null;
  private losses: number[] = [];
  private readonly buttons: TrainPauseButtons;
  /** the current init's number; replies about older runs are dropped */
  private run = 0;
  private readonly el: {
    form: HTMLFormElement; train: HTMLButtonElement; pause: HTMLButtonElement; reset: HTMLButtonElement;
    boundary: HTMLCanvasElement; loss: HTMLCanvasElement; status: HTMLElement; accuracy: HTMLElement;
    epoch: HTMLElement; lossValue: HTMLElement; params: HTMLElement; error: HTMLElement; root: HTMLElement;
  };
  private lastGrid: { grid: Float32Array; extent: [number, number, number, number] } | null = null;
  /** called at each (re)build with the worker's backend and the device it trains on, for the page header */
  onDevice: ((backend: { name: string; threads: number }, device: DeviceInUse) => void) | null = null;

  constructor(root: HTMLElement) {
    const q = <T extends Element>(s: string): T => root.querySelector<T>(s)!;
    this.el = {
      form: q('#pg-form'), train: q('#pg-train'), pause: q('#pg-pause'), reset: q('#pg-reset'),
      boundary: q('#pg-boundary'), loss: q('#pg-loss'), status: q('#pg-status'), accuracy: q('#pg-accuracy'),
      epoch: q('#pg-epoch'), lossValue: q('#pg-loss-value'), params: q('#pg-params'), error: q('#pg-error'), root,
    };
    // Train waits for the worker's first 'ready' (the dataset's points)
    this.buttons = new TrainPauseButtons(this.el.train, this.el.pause, this.el.status, (m) => this.send(m), () => this.points !== null);
    this.el.form.addEventListener('submit', (e) => e.preventDefault());
    this.el.form.addEventListener('change', () => this.reset());
    this.el.train.addEventListener('click', () => this.train());
    this.el.pause.addEventListener('click', () => this.buttons.stop());
    this.el.reset.addEventListener('click', () => this.reset());
    window.addEventListener('resize', () => this.redraw());
    this.reset();
  }

  private config(): TrainConfig | null {
    const f = this.el.form;
    const val = (name: string): string => (f.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement).value;
    const hiddenText = val('hidden').trim();
    const hidden = hiddenText === '' ? [] : hiddenText.split(/[\s,]+/).map(Number);
    const lr = Number(val('lr')), batchSize = Number(val('batch'));
    const problems: string[] = [];
    if (hidden.some((h) => !Number.isInteger(h) || h < 1 || h > 256)) problems.push('hidden layers must be widths from 1 to 256 separated by commas, e.g. "8,8"');
    if (hidden.length > 6) problems.push('at most 6 hidden layers');
    if (!(lr > 0 && lr <= 10)) problems.push('learning rate must be in (0, 10]');
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1000) problems.push('batch size must be an integer from 1 to 1000');
    const hiddenInput = f.elements.namedItem('hidden') as HTMLInputElement;
    hiddenInput.toggleAttribute('aria-invalid', problems.some((p) => p.startsWith('hidden') || p.startsWith('at most')));
    this.el.error.textContent = problems.join('; ');
    if (problems.length) return null;
    return {
      dataset: val('dataset') as DatasetName, hidden, activation: val('activation') as Activation,
      optimizer: val('optimizer') as OptimizerName, lr, batchSize, n: 300, noise: Number(val('noise')), seed: 1, grid: GRID,
      device: val('device') === 'webgpu' ? 'webgpu' : 'cpu',
    };
  }

  /** Enables the WebGPU choice when the browser has an adapter, else says why it is disabled. */
  offerWebGpu(a: WebGpuAvailability): void {
    offerWebGpu(this.el.form.elements.namedItem('device') as HTMLSelectElement, a);
  }

  private send(m: ToWorker): void {
    this.link.send(m);
  }

  private reset(): void {
    const c = this.config();
    this.losses = [];
    this.lastGrid = null;
    this.points = null;
    delete this.el.loss.dataset['losses'];
    // no pause message: the init below stops the worker's training
    this.buttons.markStopped();
    this.redraw();
    if (!c) return;
    this.link.start();
    this.el.status.textContent = 'building…';
    this.send({ type: 'init', config: c, run: ++this.run });
  }

  private train(): void {
    if (!this.points) return;
    this.buttons.start();
  }

  private onMessage(m: FromWorker): void {
    if ((m.type === 'ready' || m.type === 'progress') && m.run !== this.run) return;
    if (m.type === 'ready') {
      this.points = { x: m.x, y: m.y, numClasses: m.numClasses };
      this.el.params.textContent = `${m.params} parameters, ${m.numClasses} classes, ${m.y.length} points`;
      this.onDevice?.({ name: m.backend, threads: m.threads }, m.device);
      this.el.root.dataset['device'] = m.device.device;
      this.el.status.textContent = 'ready: press Train';
      this.buttons.update();
    } else if (m.type === 'progress') {
      this.losses.push(...m.loss);
      // the epoch losses as numbers, for comparing devices
      this.el.loss.dataset['losses'] = JSON.stringify(this.losses);
      this.lastGrid = { grid: m.grid, extent: m.extent };
      this.el.accuracy.textContent = `${(m.accuracy * 100).toFixed(1)}%`;
      this.el.accuracy.dataset['value'] = String(m.accuracy);
      this.el.epoch.textContent = String(m.epoch);
      const last = this.losses[this.losses.length - 1];
      this.el.lossValue.textContent = last === undefined ? '–' : fmt(last, 4);
      if (!m.running && !this.buttons.running && this.points) this.el.status.textContent = m.epoch > 0 ? 'paused' : 'ready: press Train';
      this.redraw();
    } else if (m.type === 'error') {
      this.buttons.markStopped();
      this.el.status.textContent = 'stopped';
      this.el.error.textContent = `error: ${m.message}`;
    }
  }

  private redraw(): void {
    this.drawBoundary();
    this.drawLoss();
  }

  private drawBoundary(): void {
    const canvas = this.el.boundary;
    const size = fitCanvas(canvas);
    const ctx = canvas.getContext('2d')!;
    ctx.clearRect(0, 0, size.w, size.h);
    const g = this.lastGrid, pts = this.points;
    if (!g || !pts) return;
    const k = pts.numClasses;
    // paint the grid at its own resolution, then scale up smoothly
    const img = new ImageData(GRID, GRID);
    for (let i = 0; i < GRID * GRID; i++) {
      let r = 0, gg = 0, b = 0, best = 0;
      for (let c = 0; c < k; c++) {
        const p = g.grid[i * k + c]!;
        const col = CLASS_COLORS[c % CLASS_COLORS.length]!;
        r += p * col[0]; gg += p * col[1]; b += p * col[2];
        best = Math.max(best, p);
      }
      // confident regions get deeper colour, uncertain ones fade to white
      const alpha = 0.15 + 0.5 * Math.max(0, (best - 1 / k) / (1 - 1 / k));
      img.data[i * 4] = 255 * (1 - alpha) + r * alpha;
      img.data[i * 4 + 1] = 255 * (1 - alpha) + gg * alpha;
      img.data[i * 4 + 2] = 255 * (1 - alpha) + b * alpha;
      img.data[i * 4 + 3] = 255;
    }
    const off = new OffscreenCanvas(GRID, GRID);
    off.getContext('2d')!.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(off, 0, 0, size.w, size.h);
    const [x0, x1, y0, y1] = g.extent;
    const rad = Math.max(2.5, size.w / 110);
    for (let i = 0; i < pts.y.length; i++) {
      const px = ((pts.x[2 * i]! - x0) / (x1 - x0)) * size.w;
      const py = (1 - (pts.x[2 * i + 1]! - y0) / (y1 - y0)) * size.h;
      const col = CLASS_COLORS[pts.y[i]! % CLASS_COLORS.length]!;
      ctx.beginPath();
      ctx.arc(px, py, rad, 0, 2 * Math.PI);
      ctx.fillStyle = `rgb(${col[0]},${col[1]},${col[2]})`;
      ctx.fill();
      ctx.lineWidth = 1;
      ctx.strokeStyle = 'rgba(255,255,255,0.9)';
      ctx.stroke();
    }
  }

  private drawLoss(): void {
    const ls = this.losses;
    // epoch i+1 at x = i, so one epoch sits on the axis and the last one at the right edge
    drawLossChart(this.el.loss, [{ points: ls.map((v, i) => [i, v]), color: '#c0392b' }], ls.length ? `epoch ${ls.length}` : 'epochs', 1);
  }
}

/**
 * Fills a device <select>'s WebGPU option from what the page found: enabled with the adapter's
 * name, or disabled with the reason (as its text and tooltip). Shared by the playground and the
 * language model section.
 */
export function offerWebGpu(select: HTMLSelectElement, a: WebGpuAvailability): void {
  const option = [...select.options].find((o) => o.value === ('webgpu' satisfies PageDevice));
  if (!option) return;
  option.disabled = !a.available;
  option.textContent = a.available ? `WebGPU (${a.detail})` : `WebGPU (unavailable: ${a.detail})`;
  option.title = option.textContent;
  if (!a.available && select.value === 'webgpu') select.value = 'cpu';
}
