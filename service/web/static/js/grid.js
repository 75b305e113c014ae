// Arrange a run's cells on the temperature x top_p grid (values as stored, nothing computed).

export function metricGrid(cells, metric) {
  const temperatures = [...new Set(cells.map((c) => c.temperature))].sort((a, b) => a - b);
  const topPs = [...new Set(cells.map((c) => c.top_p))].sort((a, b) => a - b);
  const values = temperatures.map(() => topPs.map(() => null));
  for (const c of cells) {
    values[temperatures.indexOf(c.temperature)][topPs.indexOf(c.top_p)] = c[metric];
  }
  const finite = values.flat().filter((v) => v !== null && Number.isFinite(v));
  const low = finite.length ? Math.min(...finite) : 0;
  const high = finite.length ? Math.max(...finite) : 1;
  return { temperatures, topPs, values, low, high };
}
