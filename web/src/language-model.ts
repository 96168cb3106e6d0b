/**
 * The language-model section: pick a small GPT and a text (the built-in play or a pasted one),
 * train it in a worker, and watch the train and validation losses fall and the samples turn
 * from noise into something shaped like the text.
 */
import type { WebGpuAvailability } from './backend-choice.js';
import type { FromLmWorker, LmConfig, LmDevice, ToLmWorker } from './lm-protocol.js';
import { SAMPLE_TEXT } from './lm-sample.js';
import { drawLossChart } from './loss-chart.js';
import { offerWebGpu } from './playground.js';
import { fmt } from './svg.js';
import { TrainPauseButtons, WorkerLink } from './worker-link.js';

/** The model sizes offered: nanoGPT's small CPU configuration and two smaller ones. */
export const LM_SIZES: Record<string, { layers: number; heads: number; embd: number; block: number; evalEvery: number; label: string }> = {
  tiny: { layers: 2, heads: 2, embd: 32, block: 32, evalEvery: 25, label: 'tiny: 2 layers, 2 heads, 32 wide, 32 characters of context' },
  small: { layers: 4, heads: 4, embd: 64, block: 64, evalEvery: 20, label: 'small: 4 layers, 4 heads, 64 wide, 64 characters' },
  nanogpt: { layers: 4, heads: 4, embd: 128, block: 64, evalEvery: 10, label: 'nanoGPT CPU: 4 layers, 4 heads, 128 wide, 64 characters' },
};

interface Point { step: number; train: number; val: number }

export class LanguageModelView {
  private readonly link = new WorkerLink<ToLmWorker, FromLmWorker>(
    new URL('./lm-worker.js', import.meta.url), 'backprop-lm', (m) => this.onMessage(m), (message) => { this.el.error.textContent = message; });
  private points: Point[] = [];
  private readonly buttons: TrainPauseButtons;
  private ready = false;
  private run = 0;
  private readonly el: {
    form: HTMLFormElement; text: HTMLTextAreaElement; source: HTMLSelectElement; train: HTMLButtonElement; pause: HTMLButtonElement;
    reset: HTMLButtonElement; chart: HTMLCanvasElement; status: HTMLElement; step: HTMLElement; trainLoss: HTMLElement;
    valLoss: HTMLElement; speed: HTMLElement; sample: HTMLElement; info: HTMLElement; error: HTMLElement;
  };

  constructor(root: HTMLElement) {
    const q = <T extends Element>(s: string): T => root.querySelector<T>(s)!;
    this.el = {
      form: q('#lm-form'), text: q('#lm-text'), source: q('#lm-source'), train: q('#lm-train'), pause: q('#lm-pause'),
      reset: q('#lm-reset'), chart: q('#lm-chart'), status: q('#lm-status'), step: q('#lm-step'), trainLoss: q('#lm-train-loss'),
      valLoss: q('#lm-val-loss'), speed: q('#lm-speed'), sample: q('#lm-sample'), info: q('#lm-info'), error: q('#lm-error'),
    };
    this.buttons = new TrainPauseButtons(this.el.train, this.el.pause, this.el.status, (m) => this.send(m));
    const size = q<HTMLSelectElement>('#lm-size');
    for (const [value, s] of Object.entries(LM_SIZES)) size.append(new Option(s.label, value, value === 'tiny', value === 'tiny'));
    this.el.text.value = SAMPLE_TEXT;
    this.el.form.addEventListener('submit', (e) => e.preventDefault());
    this.el.source.addEventListener('change', () => {
      // the sample is shown read-only; "your text" starts empty for pasting
      const own = this.el.source.value === 'own';
      this.el.text.readOnly = !own;
      this.el.text.value = own ? '' : SAMPLE_TEXT;
      if (own) this.el.text.focus();
    });
    this.el.form.addEventListener('change', () => this.reset());
    this.el.train.addEventListener('click', () => this.train());
    this.el.pause.addEventListener('click', () => this.buttons.stop());
    this.el.reset.addEventListener('click', () => this.reset());
    window.addEventListener('resize', () => this.drawChart());
    this.el.status.textContent = 'press Train to build and train the model';
    this.drawChart();
  }

  /** Enables the WebGPU choice when the browser has an adapter, else says why it is disabled. */
  offerWebGpu(a: WebGpuAvailability): void {
    offerWebGpu(this.el.form.elements.namedItem('device') as HTMLSelectElement, a);
  }

  private config(): LmConfig | null {
    const f = this.el.form;
    const val = (name: string): string => (f.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement).value;
    const size = LM_SIZES[val('size')] ?? LM_SIZES['tiny']!;
    const lr = Number(val('lr')), batchSize = Number(val('batch'));
    const text = this.el.text.value;
    const problems: string[] = [];
    if (!(lr > 0 && lr <= 0.1)) problems.push('learning rate must be in (0, 0.1]');
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 64) problems.push('batch size must be an integer from 1 to 64');
    const minChars = 10 * (size.block + 1);
    if ([...text].length < minChars) problems.push(`the text needs at least ${minChars} characters for this model (it has ${[...text].length})`);
    this.el.error.textContent = problems.join('; ');
    if (problems.length) return null;
    return {
      text, ...size, batchSize, lr, sampleLength: 200, seed: 1, device: val('device') as LmDevice,
    };
  }

  private send(m: ToLmWorker): void {
    this.link.send(m);
  }

  /** Drops the trained model: the next Train builds a fresh one from the current settings. */
  private reset(): void {
    this.buttons.stop();
    this.ready = false;
    this.points = [];
    this.run++;
    this.el.status.textContent = 'press Train to build and train the model';
    this.el.step.textContent = '0';
    this.el.step.dataset['value'] = '0';
    for (const e of [this.el.trainLoss, this.el.valLoss, this.el.speed]) e.textContent = '–';
    this.el.sample.textContent = '';
    this.el.info.textContent = '';
    delete this.el.info.dataset['device'];
    this.el.chart.dataset['points'] = '[]';
    this.drawChart();
  }

  private train(): void {
    if (!this.ready) {
      const c = this.config();
      if (!c) return;
      this.link.start();
      this.el.status.textContent = 'building…';
      this.send({ type: 'init', config: c, run: ++this.run });
    }
    this.buttons.start();
  }

  private onMessage(m: FromLmWorker): void {
    if (m.run !== this.run) return;
    if (m.type === 'ready') {
      this.ready = true;
      const where = m.device.device === 'cpu' ? `${m.backend} backend on the CPU` : `on ${m.device.label}`;
      this.el.info.textContent = `${m.params.toLocaleString('en')} parameters, a vocabulary of ${m.vocab} characters, ${m.trainChars.toLocaleString('en')} training and ${m.valChars.toLocaleString('en')} validation characters, ${where}${m.device.fallback ? ` (${m.device.fallback})` : ''}`;
      this.el.info.dataset['device'] = m.device.device;
    } else if (m.type === 'progress') {
      this.points.push({ step: m.step, train: m.trainLoss, val: m.valLoss });
      this.el.step.textContent = String(m.step);
      this.el.step.dataset['value'] = String(m.step);
      this.el.trainLoss.textContent = fmt(m.trainLoss, 3);
      this.el.valLoss.textContent = fmt(m.valLoss, 3);
      this.el.valLoss.dataset['value'] = String(m.valLoss);
      this.el.chart.dataset['points'] = JSON.stringify(this.points.map((p) => [p.step, p.val]));
      this.el.speed.textContent = m.tokensPerSecond > 0 ? `${Math.round(m.tokensPerSecond).toLocaleString('en')} characters/s` : '–';
      this.el.sample.textContent = m.sample;
      if (!m.running && !this.buttons.running) this.el.status.textContent = m.step > 0 ? 'paused' : 'ready';
      this.drawChart();
    } else {
      this.buttons.markStopped();
      this.ready = false;
      this.el.status.textContent = 'stopped';
      this.el.error.textContent = `error: ${m.message}`;
    }
  }

  /** Train (blue) and validation (red) loss against the step. */
  private drawChart(): void {
    const pts = this.points;
    const label = pts.length ? `step ${pts[pts.length - 1]!.step}` : 'steps';
    drawLossChart(this.el.chart, [
      { points: pts.map((p) => [p.step, p.train]), color: '#1f77b4' },
      { points: pts.map((p) => [p.step, p.val]), color: '#c0392b' },
    ], label, 5);
  }
}
