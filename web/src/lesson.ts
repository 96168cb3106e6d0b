/**
 * The lesson view: the lecture's network drawn in SVG, walked step by step through the forward
 * pass and then the backward pass (the same network mirrored, so the gradient also flows left
 * to right). Every displayed number carries a data-testid so the browser tests can read it.
 */
import {
  checkGradients, computeLesson, defaultParams, gradientStep, type LessonParams, type LessonValues, type Pair,
} from './lesson-net.js';
import { fmt, svgEl } from './svg.js';

interface Step { title: string; text: string; backward: boolean }

const STEPS: Step[] = [
  {
    title: 'The network', backward: false,
    text: 'Input (x1, x2) feeds two sigmoid neurons h1 and h2. Their activations feed a softmax layer with outputs o1 and o2, '
      + 'and the cost C is the cross-entropy −log p(target). Every number is editable below the diagram.',
  },
  {
    title: 'Forward pass: hidden layer', backward: false,
    text: 'Each hidden neuron computes z = w·x + b and fires a = σ(z). On every weight: ∂z/∂w is simply the input reaching that weight.',
  },
  {
    title: 'Forward pass: output layer and cost', backward: false,
    text: 'The output neurons compute z = w·a + b from the hidden activations; softmax turns them into probabilities p, '
      + 'and the cost is C = −log p(target). Here ∂z/∂w is the hidden activation a on that weight.',
  },
  {
    title: 'Backward pass: output layer', backward: true,
    text: 'Now the same network runs in reverse, starting from the cost. For softmax with cross-entropy the output case is '
      + 'short: ∂C/∂z = p − y, where y is 1 for the target class and 0 otherwise.',
  },
  {
    title: 'Backward pass: hidden layer', backward: true,
    text: 'Each hidden neuron collects ∂C/∂a = Σ w·∂C/∂z from the neurons it feeds (the same weights, used backwards), '
      + "then its amplifier multiplies by σ'(z) = a(1 − a): ∂C/∂z = σ'(z)·∂C/∂a. A saturated neuron (a near 0 or 1) barely passes anything back.",
  },
  {
    title: 'Backward pass: the weights', backward: true,
    text: 'Finally ∂C/∂w = a·∂C/∂z at every weight: the input that reached the weight on the way forward times the gradient '
      + 'arriving at its neuron on the way back (and ∂C/∂b = ∂C/∂z). Press Check to compare with finite differences, '
      + 'or Gradient step to move every parameter downhill.',
  },
];

// Diagram geometry (viewBox units). Forward: inputs left, cost right; backward mirrors it.
const W = 840, H = 460;
const ROW: Pair = [125, 325];
const COST_Y = 225;
const FWD_X = { x: 70, h: 340, o: 600, c: 770 };
const BWD_X = { c: 70, o: 250, h: 500, x: 770 };
/** how far the amplifier triangle sticks out of a hidden neuron in the backward view */
const AMP = 24;
const R = 30;

type Layer = 'x' | 'h' | 'o';
interface Pt { x: number; y: number }

export class LessonView {
  private params: LessonParams = defaultParams();
  private values: LessonValues;
  private step = 0;
  private readonly svg: SVGSVGElement;
  private readonly stepTitle: HTMLElement;
  private readonly stepText: HTMLElement;
  private readonly prevBtn: HTMLButtonElement;
  private readonly nextBtn: HTMLButtonElement;
  private readonly result: HTMLElement;
  private readonly form: HTMLElement;

  constructor(root: HTMLElement) {
    this.svg = root.querySelector<SVGSVGElement>('#lesson-svg')!;
    this.stepTitle = root.querySelector('#lesson-step-title')!;
    this.stepText = root.querySelector('#lesson-step-text')!;
    this.prevBtn = root.querySelector('#lesson-prev')!;
    this.nextBtn = root.querySelector('#lesson-next')!;
    this.result = root.querySelector('#lesson-result')!;
    this.form = root.querySelector('#lesson-params')!;
    this.values = computeLesson(this.params);
    this.form.addEventListener('submit', (e) => e.preventDefault());
    this.buildForm();
    this.prevBtn.addEventListener('click', () => this.go(this.step - 1));
    this.nextBtn.addEventListener('click', () => this.go(this.step + 1));
    root.querySelector('#lesson-check')!.addEventListener('click', () => this.check());
    root.querySelector('#lesson-sgd')!.addEventListener('click', () => this.sgdStep());
    root.querySelector('#lesson-reset')!.addEventListener('click', () => {
      this.params = defaultParams();
      this.syncForm();
      this.recompute();
      this.result.replaceChildren();
    });
    document.addEventListener('keydown', (e) => {
      const t = e.target as HTMLElement | null;
      if (t && (t.closest('input, select, textarea, [contenteditable]') || t.closest('#playground, #why'))) return;
      if (e.altKey || e.ctrlKey || e.metaKey) return;
      if (e.key === 'ArrowRight') { this.go(this.step + 1); e.preventDefault(); }
      if (e.key === 'ArrowLeft') { this.go(this.step - 1); e.preventDefault(); }
    });
    this.render();
  }

  private go(step: number): void {
    this.step = Math.max(0, Math.min(STEPS.length - 1, step));
    this.render();
  }

  // ---- parameter form ----------------------------------------------------------------------

  private inputs: { get: () => number; el: HTMLInputElement | HTMLSelectElement; set: (p: LessonParams, v: number) => void; read: (p: LessonParams) => number }[] = [];

  private buildForm(): void {
    const group = (legend: string): HTMLFieldSetElement => {
      const fs = document.createElement('fieldset');
      const lg = document.createElement('legend');
      lg.textContent = legend;
      fs.appendChild(lg);
      this.form.appendChild(fs);
      return fs;
    };
    const num = (fs: HTMLElement, id: string, label: string, read: (p: LessonParams) => number, set: (p: LessonParams, v: number) => void, step = 0.1): void => {
      const wrap = document.createElement('label');
      wrap.className = 'num';
      wrap.htmlFor = id;
      wrap.textContent = label;
      const input = document.createElement('input');
      input.type = 'number';
      input.step = String(step);
      input.id = id;
      input.dataset['testid'] = id;
      input.value = String(read(this.params));
      input.addEventListener('input', () => {
        const v = Number(input.value);
        if (input.value.trim() === '' || !Number.isFinite(v)) { input.setAttribute('aria-invalid', 'true'); return; }
        input.removeAttribute('aria-invalid');
        set(this.params, v);
        this.recompute();
      });
      wrap.appendChild(input);
      fs.appendChild(wrap);
      this.inputs.push({ el: input, get: () => Number(input.value), set, read });
    };
    const inp = group('Input');
    num(inp, 'in-x1', 'x1', (p) => p.x[0], (p, v) => { p.x[0] = v; });
    num(inp, 'in-x2', 'x2', (p) => p.x[1], (p, v) => { p.x[1] = v; });
    for (const i of [0, 1]) {
      const fs = group(`Hidden neuron h${i + 1} (sigmoid)`);
      for (const j of [0, 1]) num(fs, `in-w-h${i + 1}-x${j + 1}`, `w from x${j + 1}`, (p) => p.hiddenW[i]![j]!, (p, v) => { p.hiddenW[i]![j] = v; });
      num(fs, `in-b-h${i + 1}`, 'bias', (p) => p.hiddenB[i]!, (p, v) => { p.hiddenB[i] = v; });
    }
    for (const i of [0, 1]) {
      const fs = group(`Output o${i + 1} (softmax)`);
      for (const j of [0, 1]) num(fs, `in-w-o${i + 1}-h${j + 1}`, `w from h${j + 1}`, (p) => p.outW[i]![j]!, (p, v) => { p.outW[i]![j] = v; });
      num(fs, `in-b-o${i + 1}`, 'bias', (p) => p.outB[i]!, (p, v) => { p.outB[i] = v; });
    }
    const tr = group('Cost and step');
    const wrap = document.createElement('label');
    wrap.className = 'num';
    wrap.htmlFor = 'in-target';
    wrap.textContent = 'target class';
    const sel = document.createElement('select');
    sel.id = 'in-target';
    sel.dataset['testid'] = 'in-target';
    for (const [v, name] of [[0, 'o1'], [1, 'o2']] as const) {
      const o = document.createElement('option');
      o.value = String(v);
      o.textContent = name;
      sel.appendChild(o);
    }
    sel.value = String(this.params.target);
    sel.addEventListener('change', () => { this.params.target = Number(sel.value); this.recompute(); });
    wrap.appendChild(sel);
    tr.appendChild(wrap);
    this.inputs.push({ el: sel, get: () => Number(sel.value), set: (p, v) => { p.target = v; }, read: (p) => p.target });
    num(tr, 'in-lr', 'learning rate', (p) => p.lr, (p, v) => { p.lr = v; });
  }

  private syncForm(): void {
    for (const i of this.inputs) {
      const v = i.read(this.params);
      // keep the form short: full precision lives in params, the field shows 4 decimals
      i.el.value = i.el instanceof HTMLSelectElement ? String(v) : String(Number(v.toFixed(4)));
    }
  }

  private recompute(): void {
    this.values = computeLesson(this.params);
    this.render();
  }

  // ---- buttons -------------------------------------------------------------------------------

  private check(): void {
    const r = checkGradients(this.params);
    const out = document.createElement('div');
    const head = document.createElement('p');
    head.innerHTML = `Max |backprop − finite difference| over all 12 weights and biases: <strong data-testid="check-max-error">${r.maxError.toExponential(2)}</strong>`
      + ` (central differences, ε = 10⁻⁶, float64). The library's <code>gradcheck</code> ${r.gradcheckPassed ? 'agrees' : 'DISAGREES'}`
      + ` (max error <span data-testid="gradcheck-max-error">${r.gradcheckMaxError.toExponential(2)}</span>).`;
    out.appendChild(head);
    const table = document.createElement('table');
    table.className = 'check';
    table.innerHTML = '<caption class="sr-only">Backprop gradients against finite differences</caption>'
      + '<thead><tr><th scope="col">parameter</th><th scope="col">backprop ∂C/∂θ</th><th scope="col">finite difference</th><th scope="col">|difference|</th></tr></thead>';
    const body = document.createElement('tbody');
    for (const row of r.rows) {
      const tr = document.createElement('tr');
      for (const [i, s] of [row.label, fmt(row.backprop, 6), fmt(row.numeric, 6), row.error.toExponential(1)].entries()) {
        const c = document.createElement(i === 0 ? 'th' : 'td');
        if (i === 0) c.setAttribute('scope', 'row');
        c.textContent = s;
        tr.appendChild(c);
      }
      body.appendChild(tr);
    }
    table.appendChild(body);
    const scroll = document.createElement('div');
    scroll.className = 'table-scroll';
    scroll.appendChild(table);
    out.appendChild(scroll);
    this.result.replaceChildren(out);
  }

  private sgdStep(): void {
    const { next, before, after } = gradientStep(this.params);
    this.params = next;
    this.syncForm();
    this.recompute();
    const p = document.createElement('p');
    p.className = 'sgd-result';
    p.innerHTML = `One SGD step with learning rate ${this.params.lr}: cost <strong data-testid="cost-before">${fmt(before, 4)}</strong>`
      + ` → <strong data-testid="cost-after">${fmt(after, 4)}</strong>`
      + ` <span class="${after < before ? 'good' : 'bad'}">(${after < before ? '↓' : '↑'} ${fmt(Math.abs(before - after), 4)})</span>`;
    this.result.replaceChildren(p);
  }

  // ---- drawing -------------------------------------------------------------------------------

  private render(): void {
    const s = STEPS[this.step]!;
    this.stepTitle.textContent = `Step ${this.step + 1} of ${STEPS.length}: ${s.title}`;
    this.stepText.textContent = s.text;
    this.prevBtn.disabled = this.step === 0;
    this.nextBtn.disabled = this.step === STEPS.length - 1;
    this.svg.dataset['step'] = String(this.step);
    this.draw();
  }

  private pos(layer: Layer | 'c', i = 0): Pt {
    const back = STEPS[this.step]!.backward;
    const xs = back ? BWD_X : FWD_X;
    return { x: xs[layer], y: layer === 'c' ? COST_Y : ROW[i]! };
  }

  private draw(): void {
    const svg = this.svg;
    const v = this.values, p = this.params, step = this.step;
    const back = STEPS[step]!.backward;
    svg.replaceChildren();
    svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
    svg.classList.toggle('backward', back);
    const defs = svgEl('defs', {}, svg);
    for (const [id, cls] of [['arrow-f', 'arrow-fwd'], ['arrow-b', 'arrow-bwd']]) {
      const m = svgEl('marker', { id: id!, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 12, markerHeight: 12, markerUnits: 'userSpaceOnUse', orient: 'auto-start-reverse' }, defs);
      svgEl('path', { d: 'M0,0 L10,5 L0,10 z', class: cls! }, m);
    }
    svgEl('text', { x: W / 2, y: 28, class: 'dir-label', 'text-anchor': 'middle' }, svg,
      back ? 'backward pass: the gradient flows from the cost back to the inputs →' : 'forward pass: inputs → activations → cost →');

    const edgesG = svgEl('g', { class: 'edges' }, svg);
    const labelsG = svgEl('g', { class: 'labels' }, svg);
    const nodesG = svgEl('g', { class: 'nodes' }, svg);

    // edges, drawn in the direction the signal travels in this step
    const edge = (a: Pt, b: Pt, w: number | null, ampAtB = false): void => {
      const [from, to] = back ? [b, a] : [a, b];
      const dx = to.x - from.x, dy = to.y - from.y, len = Math.hypot(dx, dy);
      const ux = dx / len, uy = dy / len;
      const width = w === null ? 1.5 : Math.min(6, 1 + 1.5 * Math.abs(w));
      const start = R + 2 + (back && ampAtB && step >= 4 ? AMP : 0);
      svgEl('line', {
        x1: from.x + ux * start, y1: from.y + uy * start, x2: to.x - ux * (R + 6), y2: to.y - uy * (R + 6),
        class: `edge ${back ? 'bwd' : 'fwd'} ${w !== null && w < 0 ? 'neg' : 'pos'}`, 'stroke-width': width,
        'marker-end': `url(#${back ? 'arrow-b' : 'arrow-f'})`,
      }, edgesG);
    };
    // weight labels sit towards the neuron the weight feeds, so crossing edges keep them apart
    const weightLabel = (src: Pt, dst: Pt, lines: [string, string | null, string?][], slot: number): void => {
      const t = 0.6;
      const x = src.x + (dst.x - src.x) * t, y = src.y + (dst.y - src.y) * t + (slot === 0 ? -6 : 6);
      const g = svgEl('text', { x, y: y - (lines.length - 1) * 8, class: 'wlabel', 'text-anchor': 'middle' }, labelsG);
      lines.forEach(([text, testid, cls], k) => {
        const ts = svgEl('tspan', { x, dy: k === 0 ? 0 : 16, ...(cls ? { class: cls } : {}) }, g, text);
        if (testid) ts.dataset['testid'] = testid;
      });
    };
    const text = (x: number, y: number, s: string, testid: string | null, cls = 'val', anchor = 'middle'): void => {
      const t = svgEl('text', { x, y, class: cls, 'text-anchor': anchor }, labelsG, s);
      if (testid) t.dataset['testid'] = testid;
    };

    const xs = [0, 1].map((i) => this.pos('x', i));
    const hs = [0, 1].map((i) => this.pos('h', i));
    const os = [0, 1].map((i) => this.pos('o', i));
    const c = this.pos('c');

    for (const i of [0, 1]) {
      for (const j of [0, 1]) {
        edge(xs[j]!, hs[i]!, p.hiddenW[i]![j]!, true);
        edge(hs[j]!, os[i]!, p.outW[i]![j]!);
      }
      edge(os[i]!, c, null);
    }

    // weight labels by step
    for (const i of [0, 1]) {
      for (const j of [0, 1]) {
        const hid = `h${i + 1}-x${j + 1}`, oid = `o${i + 1}-h${j + 1}`;
        const wH = `w = ${fmt(p.hiddenW[i]![j]!, 2)}`, wO = `w = ${fmt(p.outW[i]![j]!, 2)}`;
        const hLines: [string, string | null, string?][] = [[wH, `w-${hid}`]];
        const oLines: [string, string | null, string?][] = [[wO, `w-${oid}`]];
        if (step === 1) hLines.push([`∂z/∂w = x${j + 1} = ${fmt(v.dzdwH[i]![j]!)}`, `dzdw-${hid}`, 'new']);
        if (step === 2) {
          hLines.push([`∂z/∂w = ${fmt(v.dzdwH[i]![j]!)}`, `dzdw-${hid}`]);
          oLines.push([`∂z/∂w = a${j + 1} = ${fmt(v.dzdwO[i]![j]!)}`, `dzdw-${oid}`, 'new']);
        }
        if (step === 5) {
          hLines.push([`∂C/∂w = ${fmt(v.dCdwH[i]![j]!)}`, `dCdw-${hid}`, 'new']);
          oLines.push([`∂C/∂w = ${fmt(v.dCdwO[i]![j]!)}`, `dCdw-${oid}`, 'new']);
        }
        weightLabel(xs[j]!, hs[i]!, hLines, i);
        weightLabel(hs[j]!, os[i]!, oLines, i);
      }
    }

    // nodes
    const node = (pt: Pt, name: string, sub: string | null, cls: string): void => {
      const g = svgEl('g', { class: `node ${cls}` }, nodesG);
      svgEl('circle', { cx: pt.x, cy: pt.y, r: R }, g);
      svgEl('text', { x: pt.x, y: sub ? pt.y - 2 : pt.y + 5, class: 'name', 'text-anchor': 'middle' }, g, name);
      if (sub) svgEl('text', { x: pt.x, y: pt.y + 14, class: 'sub', 'text-anchor': 'middle' }, g, sub);
    };
    for (const j of [0, 1]) {
      node(xs[j]!, `x${j + 1}`, null, 'input');
      text(xs[j]!.x, xs[j]!.y + R + 20, fmt(p.x[j]!, 2), `x-${j + 1}`);
    }
    for (const i of [0, 1]) {
      node(hs[i]!, `h${i + 1}`, `b ${fmt(p.hiddenB[i]!, 2)}`, 'hidden');
      node(os[i]!, `o${i + 1}`, `b ${fmt(p.outB[i]!, 2)}`, `output${p.target === i ? ' target' : ''}`);
    }
    const costG = svgEl('g', { class: 'node cost' }, nodesG);
    svgEl('rect', { x: c.x - 44, y: c.y - 26, width: 88, height: 52, rx: 10 }, costG);
    svgEl('text', { x: c.x, y: c.y - 4, class: 'name', 'text-anchor': 'middle' }, costG, 'C');
    svgEl('text', { x: c.x, y: c.y + 14, class: 'sub', 'text-anchor': 'middle' }, costG, `target o${p.target + 1}`);

    // neuron values by step
    const above = (pt: Pt, k = 0): number => pt.y - R - 10 - 17 * k;
    const below = (pt: Pt, k = 0): number => pt.y + R + 20 + 17 * k;
    const cls = (first: number): string => (step === first ? 'val new' : 'val');
    if (!back) {
      if (step >= 1) {
        for (const i of [0, 1]) {
          text(hs[i]!.x, above(hs[i]!), `z = ${fmt(v.zH[i]!)}`, `z-h${i + 1}`, cls(1));
          text(hs[i]!.x, below(hs[i]!), `a = σ(z) = ${fmt(v.aH[i]!)}`, `a-h${i + 1}`, cls(1));
        }
      }
      if (step >= 2) {
        for (const i of [0, 1]) {
          text(os[i]!.x, above(os[i]!), `z = ${fmt(v.zO[i]!)}`, `z-o${i + 1}`, cls(2));
          text(os[i]!.x, below(os[i]!), `p = ${fmt(v.pO[i]!)}`, `p-o${i + 1}`, cls(2));
        }
        text(c.x, c.y + 48, `C = ${fmt(v.cost)}`, 'cost', cls(2));
      }
    } else {
      text(c.x, c.y + 48, `C = ${fmt(v.cost)}`, 'cost');
      text(c.x, c.y - 38, '∂C/∂C = 1', null, 'val dim');
      for (const i of [0, 1]) {
        text(os[i]!.x, above(os[i]!, 1), `∂C/∂z = p − y`, null, 'val dim');
        text(os[i]!.x, above(os[i]!), `= ${fmt(v.pO[i]!)} − ${p.target === i ? 1 : 0} = ${fmt(v.dCdzO[i]!)}`, `dCdz-o${i + 1}`, cls(3));
        if (step >= 5) text(os[i]!.x, below(os[i]!), `∂C/∂b = ${fmt(v.dCdbO[i]!)}`, `dCdb-o${i + 1}`, 'val new');
      }
      if (step >= 4) {
        for (const i of [0, 1]) {
          const h = hs[i]!;
          // the amplifier: a triangle on the neuron's outgoing side, scaling the gradient by σ'(z)
          const b0 = h.x + R - 6;
          svgEl('path', { d: `M${b0},${h.y - 15} L${b0 + AMP + 6},${h.y} L${b0},${h.y + 15} z`, class: 'amp' }, nodesG);
          text(h.x, above(h, 1), `∂C/∂a = Σ w·∂C/∂z`, null, 'val dim');
          text(h.x, above(h), `= ${fmt(v.dCdaH[i]!)}`, `dCda-h${i + 1}`, cls(4));
          text(h.x, below(h), `amplifier × σ'(z) = ${fmt(v.sigmaPrimeH[i]!)}`, `sigmap-h${i + 1}`, `${cls(4)} amp-label`);
          text(h.x, below(h, 1), `∂C/∂z = ${fmt(v.dCdzH[i]!)}`, `dCdz-h${i + 1}`, `${cls(4)} strong`);
          if (step >= 5) text(h.x, below(h, 2), `∂C/∂b = ${fmt(v.dCdbH[i]!)}`, `dCdb-h${i + 1}`, 'val new');
        }
      }
    }
    svg.setAttribute('aria-label', `Network diagram, ${STEPS[step]!.title}. Cost ${fmt(v.cost)}.`);
  }
}
