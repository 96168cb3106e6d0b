/** Canvas helpers shared by the page's sections: sizing for the screen, and the loss chart. */
import { fmt } from './svg.js';

/** Sizes the canvas backing store to its CSS size times devicePixelRatio; returns the CSS size. */
export function fitCanvas(canvas: HTMLCanvasElement): { w: number; h: number } {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth, h = canvas.clientHeight;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  canvas.getContext('2d')!.setTransform(dpr, 0, 0, dpr, 0, 0);
  return { w, h };
}

/** One curve of a loss chart: [x, loss] points in x order, and its colour. */
export interface LossLine {
  points: [number, number][];
  color: string;
}

/**
 * Draws loss curves from 0 up to 5% above the largest loss (`emptyTop` with no points), x from
 * 0 to the largest x, with `xLabel` under the axis.
 */
export function drawLossChart(canvas: HTMLCanvasElement, lines: LossLine[], xLabel: string, emptyTop: number): void {
  const size = fitCanvas(canvas);
  const ctx = canvas.getContext('2d')!;
  ctx.clearRect(0, 0, size.w, size.h);
  const pad = { l: 44, r: 10, t: 10, b: 24 };
  const w = size.w - pad.l - pad.r, h = size.h - pad.t - pad.b;
  ctx.strokeStyle = '#999';
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(pad.l, pad.t);
  ctx.lineTo(pad.l, pad.t + h);
  ctx.lineTo(pad.l + w, pad.t + h);
  ctx.stroke();
  ctx.fillStyle = '#555';
  ctx.font = '12px system-ui, sans-serif';
  const all = lines.flatMap((l) => l.points);
  const top = all.length ? Math.max(...all.map((p) => p[1])) * 1.05 : emptyTop;
  const right = Math.max(1, ...all.map((p) => p[0]));
  ctx.textAlign = 'right';
  ctx.fillText(fmt(top, 2), pad.l - 4, pad.t + 10);
  ctx.fillText('0', pad.l - 4, pad.t + h);
  ctx.textAlign = 'center';
  ctx.fillText(xLabel, pad.l + w / 2, size.h - 6);
  for (const line of lines) {
    if (line.points.length < 1) continue;
    ctx.strokeStyle = line.color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    line.points.forEach(([x, v], i) => {
      const px = pad.l + (x / right) * w;
      const py = pad.t + h - (v / top) * h;
      if (i === 0) ctx.moveTo(px, py); else ctx.lineTo(px, py);
    });
    ctx.stroke();
  }
}
