// An SVG heatmap of one statistic: temperature up, top_p across; hover or arrow keys read a cell.

import { inkOn, viridis } from './colors.js';
import { sig } from './format.js';
import { metricGrid } from './grid.js';
import { html, svg, text, title } from './svg.js';

const LEFT = 70;
const BOTTOM = 44;
const TOP = 10;
const BAR = 70;

function describe(metric, t, p, v) {
  return `temperature ${sig(t)}, top_p ${sig(p)}: ${metric} = ${v === null ? 'missing' : sig(v, 5)}`;
}

export function renderHeatmap(container, { cells, metric, grid, tooltip, readout }) {
  const { temperatures, topPs, values, low, high } = metricGrid(cells, metric, grid);
  const T = temperatures.length;
  const P = topPs.length;
  const width = 720;
  const cellW = (width - LEFT - BAR) / Math.max(P, 1);
  const cellH = Math.min(80, Math.max(16, 320 / Math.max(T, 1)));
  const height = TOP + T * cellH + BOTTOM;
  const scale = (v) => (high > low ? (v - low) / (high - low) : 0.5);
  const chart = svg('svg', {
    viewBox: `0 0 ${width} ${height}`, width: '100%', class: 'heatmap', tabindex: 0,
    role: 'img', 'aria-describedby': 'heatmap-summary',
    'aria-label': `Heatmap of ${metric} over ${T} temperatures and ${P} top_p values; `
      + 'arrow keys move between cells',
  });
  const rects = [];
  temperatures.forEach((t, i) => {
    const y = TOP + (T - 1 - i) * cellH;
    chart.append(text(LEFT - 6, y + cellH / 2 + 4, sig(t, 3), { 'text-anchor': 'end' }));
    topPs.forEach((p, j) => {
      const v = values[i][j];
      const label = describe(metric, t, p, v);
      const rect = svg('rect', {
        x: LEFT + j * cellW, y, width: cellW, height: cellH, class: 'cell',
        fill: v === null ? '#ddd' : viridis(scale(v)), 'data-temperature': t, 'data-top-p': p,
        'data-value': v ?? '', 'data-row': i, 'data-col': j,
      }, [title(label)]);
      rect.dataset.label = label;
      rects.push(rect);
      chart.append(rect);
      if (cellW > 44 && cellH > 16 && v !== null) {
        chart.append(text(LEFT + (j + 0.5) * cellW, y + cellH / 2 + 4, sig(v, 3), {
          'text-anchor': 'middle', style: `fill: ${inkOn(scale(v))}`, 'pointer-events': 'none',
          class: 'cell-value',
        }));
      }
    });
  });
  topPs.forEach((p, j) => chart.append(text(LEFT + (j + 0.5) * cellW, TOP + T * cellH + 16,
                                             sig(p, 3), { 'text-anchor': 'middle' })));
  chart.append(text(LEFT + (P * cellW) / 2, height - 6, 'top_p', { 'text-anchor': 'middle' }));
  chart.append(text(14, TOP + (T * cellH) / 2, 'temperature', {
    'text-anchor': 'middle', transform: `rotate(-90 14 ${TOP + (T * cellH) / 2})`,
  }));
  const barX = width - BAR + 20;
  const stops = 20;
  for (let k = 0; k < stops; k += 1) {
    const h = (T * cellH) / stops;
    chart.append(svg('rect', { x: barX, y: TOP + k * h, width: 14, height: h + 0.5,
                               fill: viridis(1 - k / (stops - 1)) }));
  }
  chart.append(text(barX + 18, TOP + 10, sig(high, 3)), text(barX + 18, TOP + T * cellH, sig(low, 3)));

  let selected = null;
  function select(rect, event) {
    selected?.classList.remove('selected');
    selected = rect;
    rect.classList.add('selected');
    readout.textContent = rect.dataset.label;
    if (!tooltip) return;
    tooltip.textContent = rect.dataset.label;
    tooltip.hidden = false;
    const box = container.getBoundingClientRect();
    const at = event ? { x: event.clientX, y: event.clientY } : (() => {
      const r = rect.getBoundingClientRect();
      return { x: r.left + r.width / 2, y: r.top };
    })();
    const x = at.x - box.left;
    tooltip.style.left = x > box.width * 0.6 ? 'auto' : `${x + 12}px`;
    tooltip.style.right = x > box.width * 0.6 ? `${box.width - x + 12}px` : 'auto';
    tooltip.style.top = `${at.y - box.top - 30}px`;
  }
  for (const rect of rects) {
    rect.addEventListener('mousemove', (event) => select(rect, event));
  }
  chart.addEventListener('mouseleave', () => { if (tooltip) tooltip.hidden = true; });
  chart.addEventListener('blur', () => { if (tooltip) tooltip.hidden = true; });
  chart.addEventListener('focus', () => { if (!selected && rects.length) select(rects[0]); });
  chart.addEventListener('keydown', (event) => {
    const moves = { ArrowUp: [1, 0], ArrowDown: [-1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    const move = moves[event.key];
    if (!move || !selected) return;
    event.preventDefault();
    const i = Math.min(T - 1, Math.max(0, Number(selected.dataset.row) + move[0]));
    const j = Math.min(P - 1, Math.max(0, Number(selected.dataset.col) + move[1]));
    select(rects[i * P + j]);
  });
  container.replaceChildren(chart);
  return `${metric} ranges from ${sig(low, 4)} to ${sig(high, 4)} over ${T} temperatures `
    + `(${sig(temperatures[0], 3)}–${sig(temperatures[T - 1], 3)}) and ${P} top_p values.`;
}

export function valuesTable(container, { cells, metric, grid }) {
  const { temperatures, topPs, values } = metricGrid(cells, metric, grid);
  const head = html('tr', {}, [html('th', { scope: 'col', text: 'temperature \\ top_p' }),
    ...topPs.map((p) => html('th', { scope: 'col', text: sig(p, 3) }))]);
  const rows = temperatures.map((t, i) => html('tr', {}, [
    html('th', { scope: 'row', text: sig(t, 3) }),
    ...values[i].map((v) => html('td', { text: v === null ? '–' : sig(v, 4) })),
  ]));
  container.replaceChildren(html('table', { class: 'table numeric' }, [
    html('caption', { class: 'visually-hidden', text: `${metric} by temperature and top_p` }),
    html('thead', {}, [head]), html('tbody', {}, rows.reverse()),
  ]));
}
