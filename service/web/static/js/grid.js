// Arrange a run's cells on the temperature x top_p grid (values as stored, nothing computed).

// The axes are the run's swept values (`grid`, when given) and the cells' own: a row or column
// without cells (an interrupted run) stays on the chart, its values missing (null, grey).
function axis(cells, key, swept) {
  return [...new Set([...(swept || []), ...cells.map((c) => c[key])])].sort((a, b) => a - b);
}

export function metricGrid(cells, metric, grid = null) {
  const temperatures = axis(cells, 'temperature', grid?.temperature);
  const topPs = axis(cells, 'top_p', grid?.top_p);
  const values = temperatures.map(() => topPs.map(() => null));
  for (const c of cells) {
    values[temperatures.indexOf(c.temperature)][topPs.indexOf(c.top_p)] = c[metric];
  }
  const finite = values.flat().filter((v) => v !== null && Number.isFinite(v));
  const low = finite.length ? Math.min(...finite) : 0;
  const high = finite.length ? Math.max(...finite) : 1;
  return { temperatures, topPs, values, low, high };
}
