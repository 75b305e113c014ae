// An SVG line chart: one statistic against temperature, one line per top_p.

import { category } from './colors.js';
import { sig } from './format.js';
import { metricGrid } from './grid.js';
import { svg, text, title } from './svg.js';

const W = 720;
const H = 340;
const M = { left: 64, right: 110, top: 12, bottom: 44 };

// Round tick values (1, 2 or 5 times a power of ten) covering [low, high].
function ticks(low, high, count = 5) {
  if (!(high > low)) return [low];
  const raw = (high - low) / (count - 1);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  const out = [];
  for (let v = Math.ceil(low / step) * step; v <= high + step * 1e-9; v += step) {
    out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  }
  return out;
}

export function renderLines(container, { cells, metric, grid }) {
  const { temperatures, topPs, values, low, high } = metricGrid(cells, metric, grid);
  const t0 = temperatures[0];
  const t1 = temperatures[temperatures.length - 1];
  const pad = high > low ? 0.05 * (high - low) : Math.abs(high) * 0.05 || 1;
  const y0 = low >= 0 && low - pad < 0 ? 0 : low - pad;
  const y1 = high + pad;
  const x = (t) => M.left + (t1 > t0 ? ((t - t0) / (t1 - t0)) : 0.5) * (W - M.left - M.right);
  const y = (v) => M.top + (1 - (v - y0) / (y1 - y0)) * (H - M.top - M.bottom);
  const chart = svg('svg', {
    viewBox: `0 0 ${W} ${H}`, width: '100%', class: 'lines', role: 'img',
    'aria-label': `${metric} against temperature, one line per top_p`,
    'aria-describedby': 'lines-summary',
  });
  for (const v of ticks(y0, y1)) {
    chart.append(svg('line', { x1: M.left, x2: W - M.right, y1: y(v), y2: y(v), class: 'grid-line' }),
                 text(M.left - 6, y(v) + 4, sig(v, 3), { 'text-anchor': 'end' }));
  }
  const xTicks = temperatures.length <= 10 ? temperatures : ticks(t0, t1);
  for (const t of xTicks) {
    chart.append(text(x(t), H - M.bottom + 16, sig(t, 3), { 'text-anchor': 'middle' }));
  }
  chart.append(text((M.left + W - M.right) / 2, H - 8, 'temperature', { 'text-anchor': 'middle' }));
  chart.append(text(14, (H - M.bottom) / 2, metric, {
    'text-anchor': 'middle', transform: `rotate(-90 14 ${(H - M.bottom) / 2})`,
  }));
  topPs.forEach((p, j) => {
    const color = category(j, topPs.length);
    const points = temperatures.map((t, i) => [t, values[i][j]]).filter(([, v]) => v !== null);
    const line = svg('g', { class: 'series', 'data-top-p': p }, [
      svg('polyline', { points: points.map(([t, v]) => `${x(t)},${y(v)}`).join(' '), stroke: color }),
      ...points.map(([t, v]) => svg('circle', { cx: x(t), cy: y(v), r: 3.5, fill: color },
        [title(`top_p ${sig(p)}, temperature ${sig(t)}: ${metric} = ${sig(v, 5)}`)])),
    ]);
    chart.append(line);
    const ly = M.top + 8 + j * 18;
    if (ly < H - M.bottom) {
      chart.append(svg('line', { x1: W - M.right + 10, x2: W - M.right + 30, y1: ly, y2: ly,
                                 stroke: color, 'stroke-width': 3 }),
                   text(W - M.right + 36, ly + 4, `top_p ${sig(p, 3)}`));
    }
  });
  container.replaceChildren(chart);
  return `${topPs.length} lines (top_p ${topPs.map((p) => sig(p, 3)).join(', ')}) over `
    + `${temperatures.length} temperatures; ${metric} from ${sig(low, 4)} to ${sig(high, 4)}.`;
}
