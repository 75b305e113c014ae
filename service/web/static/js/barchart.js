// Horizontal bars of the top-N tokens: the raw softmax (before) beside the processed q (after).

import { percent, tokenLabel } from './format.js';
import { svg, text, title } from './svg.js';

// The N tokens most likely before or after, ordered by their probability before.
export function topTokens(before, after, N) {
  const best = [];
  const score = (i) => Math.max(before[i], after[i]);
  for (let i = 0; i < before.length; i += 1) {
    if (best.length === N && score(i) <= score(best[N - 1])) continue;
    let at = best.length;
    while (at > 0 && score(best[at - 1]) < score(i)) at -= 1;
    best.splice(at, 0, i);
    if (best.length > N) best.pop();
  }
  return best.sort((a, b) => before[b] - before[a] || a - b);
}

const ROW = 26;
const LABEL = 150;
const WIDTH = 640;
const VALUES = 120;

export function renderBars(container, { before, after, tokens, N }) {
  const ids = topTokens(before, after, N);
  const top = Math.max(...ids.map((i) => Math.max(before[i], after[i])), 1e-12);
  const span = WIDTH - LABEL - VALUES;
  const height = ids.length * ROW + 24;
  const chart = svg('svg', {
    viewBox: `0 0 ${WIDTH} ${height}`, width: '100%', role: 'img',
    'aria-labelledby': 'chart-summary', class: 'bars',
  });
  chart.append(
    svg('rect', { x: LABEL, y: 4, width: 10, height: 8, class: 'before' }),
    text(LABEL + 14, 12, 'before (softmax of the logits)', { class: 'legend' }),
    svg('rect', { x: LABEL + 220, y: 4, width: 10, height: 8, class: 'after' }),
    text(LABEL + 234, 12, 'after processing', { class: 'legend' }),
  );
  ids.forEach((id, row) => {
    const y = 24 + row * ROW;
    const label = tokenLabel(id, tokens);
    const group = svg('g', { class: 'bar', 'data-token': id }, [
      title(`${label}: ${percent(before[id])} before, ${percent(after[id])} after`),
      text(LABEL - 6, y + 14, label.length > 22 ? `${label.slice(0, 21)}…` : label,
           { class: 'label', 'text-anchor': 'end' }),
      svg('rect', { x: LABEL, y: y + 2, height: 9, width: (span * before[id]) / top,
                    class: 'before', 'data-p': before[id] }),
      svg('rect', { x: LABEL, y: y + 12, height: 9, width: (span * after[id]) / top,
                    class: after[id] > 0 ? 'after' : 'after removed', 'data-p': after[id] }),
      text(WIDTH - VALUES + 6, y + 14, `${percent(before[id])} → ${percent(after[id])}`,
           { class: 'value' }),
    ]);
    chart.append(group);
  });
  container.replaceChildren(chart);
  const lead = ids.reduce((a, b) => (after[b] > after[a] ? b : a), ids[0]);
  return `Top ${ids.length} of ${before.length} tokens. Most likely after processing: `
    + `${tokenLabel(lead, tokens)} at ${percent(after[lead])} (was ${percent(before[lead])}).`;
}
