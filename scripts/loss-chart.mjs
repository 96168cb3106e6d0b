// Draws the loss curve of a `backprop train --dataset text --json` run as an SVG chart and prints
// its markdown table, for RESULTS.md. No dependencies.
// Usage: node scripts/loss-chart.mjs run.jsonl results/gpt-loss.svg [title]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const [input, output, title = 'Character GPT on tiny Shakespeare'] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: node scripts/loss-chart.mjs run.jsonl out.svg [title]');
  process.exit(2);
}
const points = readFileSync(input, 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
if (points.length === 0) {
  console.error(`${input}: no JSON lines`);
  process.exit(2);
}

const W = 640, H = 360, pad = { l: 56, r: 16, t: 36, b: 44 };
const w = W - pad.l - pad.r, h = H - pad.t - pad.b;
const maxIter = Math.max(...points.map((p) => p.iter));
const losses = points.flatMap((p) => [p.trainLoss, p.valLoss]);
const lo = Math.floor(Math.min(...losses) * 2) / 2, hi = Math.ceil(Math.max(...losses) * 2) / 2;
const x = (it) => pad.l + (it / maxIter) * w;
const y = (v) => pad.t + (1 - (v - lo) / (hi - lo)) * h;
const path = (key) => points.map((p, i) => `${i ? 'L' : 'M'}${x(p.iter).toFixed(1)},${y(p[key]).toFixed(1)}`).join(' ');

const parts = [
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="system-ui, sans-serif" font-size="12">`,
  `<rect width="${W}" height="${H}" fill="#fff"/>`,
  `<text x="${pad.l}" y="20" font-size="14" font-weight="600">${title}</text>`,
];
for (let v = lo; v <= hi + 1e-9; v += 0.5) {
  parts.push(`<line x1="${pad.l}" x2="${pad.l + w}" y1="${y(v)}" y2="${y(v)}" stroke="#e6e9ef"/>`);
  parts.push(`<text x="${pad.l - 6}" y="${y(v) + 4}" text-anchor="end" fill="#555">${v.toFixed(1)}</text>`);
}
const step = maxIter >= 1000 ? 500 : maxIter >= 200 ? 100 : 10;
for (let it = 0; it <= maxIter; it += step) {
  parts.push(`<text x="${x(it)}" y="${pad.t + h + 16}" text-anchor="middle" fill="#555">${it}</text>`);
}
parts.push(`<text x="${pad.l + w / 2}" y="${H - 8}" text-anchor="middle" fill="#333">step</text>`);
parts.push(`<text x="14" y="${pad.t + h / 2}" text-anchor="middle" fill="#333" transform="rotate(-90 14 ${pad.t + h / 2})">cross-entropy (nats per character)</text>`);
parts.push(`<path d="M${pad.l},${pad.t} V${pad.t + h} H${pad.l + w}" fill="none" stroke="#999"/>`);
parts.push(`<path d="${path('trainLoss')}" fill="none" stroke="#1f77b4" stroke-width="2"/>`);
parts.push(`<path d="${path('valLoss')}" fill="none" stroke="#c0392b" stroke-width="2"/>`);
for (const p of points) parts.push(`<circle cx="${x(p.iter)}" cy="${y(p.valLoss)}" r="2.5" fill="#c0392b"/>`);
const lx = pad.l + w - 150;
parts.push(`<line x1="${lx}" x2="${lx + 20}" y1="${pad.t + 10}" y2="${pad.t + 10}" stroke="#1f77b4" stroke-width="2"/><text x="${lx + 26}" y="${pad.t + 14}">train loss</text>`);
parts.push(`<line x1="${lx}" x2="${lx + 20}" y1="${pad.t + 28}" y2="${pad.t + 28}" stroke="#c0392b" stroke-width="2"/><text x="${lx + 26}" y="${pad.t + 32}">validation loss</text>`);
parts.push('</svg>');
mkdirSync(dirname(output), { recursive: true });
writeFileSync(output, `${parts.join('\n')}\n`);

console.log('| step | train loss | validation loss | tokens/s since the previous row | seconds |');
console.log('|---:|---:|---:|---:|---:|');
for (const p of points) {
  console.log(`| ${p.iter} | ${p.trainLoss.toFixed(4)} | ${p.valLoss.toFixed(4)} | ${p.tokensPerSecond === null ? '–' : Math.round(p.tokensPerSecond).toLocaleString('en')} | ${p.seconds.toFixed(1)} |`);
}
