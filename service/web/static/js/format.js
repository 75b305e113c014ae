// Number and token formatting shared by the pages.

export function fixed(value, digits = 3) {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  return Number(value).toFixed(digits);
}

export function sig(value, digits = 4) {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  if (Number.isInteger(value)) return String(value);
  return Number(value).toPrecision(digits).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
}

export function percent(p) {
  if (p === 0) return '0%';
  if (p < 0.001) return '<0.1%';
  return `${(100 * p).toFixed(1)}%`;
}

// A token id with its text when the source has a vocabulary; whitespace made visible.
export function tokenLabel(id, tokens) {
  const textOf = tokens?.[id];
  if (textOf === undefined || textOf === null) return `#${id}`;
  const shown = String(textOf).replace(/ /g, '␣').replace(/\n/g, '⏎').replace(/\t/g, '⇥');
  return `${shown} #${id}`;
}
