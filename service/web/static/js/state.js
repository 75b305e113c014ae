// Page state in the URL: every named control that differs from its default is a query parameter.

// Servers and proxies refuse longer request lines (414; `logitlab serve` allows 8190 bytes):
// a value that would make the link longer than this is left out of it.
export const MAX_URL = 4000;

function controls(form) {
  return [...form.elements].filter((el) => el.name && el.type !== 'file' && el.type !== 'button');
}

function isDefault(el) {
  if (el.type === 'radio') return !el.checked || el.defaultChecked;
  if (el.type === 'checkbox') return el.checked === el.defaultChecked;
  if (el.tagName === 'SELECT') return [...el.options].every((o) => o.selected === o.defaultSelected);
  return el.value === el.defaultValue;
}

function link(entries) {
  const search = new URLSearchParams(entries.map(([el, value]) => [el.name, value])).toString();
  return `${window.location.pathname}${search ? `?${search}` : ''}`;
}

// Writes the link and returns the controls whose values were too long to keep in it.
export function writeState(form) {
  const entries = controls(form).filter((el) => !isDefault(el))
    .map((el) => [el, el.type === 'checkbox' ? String(el.checked) : el.value]);
  const left = [];
  // The longest value goes first: one pasted array should not push out every short knob.
  while (entries.length && window.location.origin.length + link(entries).length > MAX_URL) {
    const sizes = entries.map(([, value]) => encodeURIComponent(value).length);
    const [longest] = entries.splice(sizes.indexOf(Math.max(...sizes)), 1);
    left.push(longest[0]);
  }
  window.history.replaceState(null, '', link(entries));
  return left;
}

// A number from the URL, clamped into the box's [min, max] and rounded on an integer step.
function restoreNumber(el, raw) {
  const value = Number(raw.trim());
  if (raw.trim() === '' || !Number.isFinite(value)) {
    return `${el.name}=${raw} is not a number; using ${el.value || 'none'}`;
  }
  const low = el.min === '' ? -Infinity : Number(el.min);
  const high = el.max === '' ? Infinity : Number(el.max);
  let fixed = Math.min(high, Math.max(low, value));
  if (el.step === '1') fixed = Math.min(high, Math.max(low, Math.round(fixed)));
  el.value = String(fixed);
  if (fixed === value) return null;
  const why = value < low ? `below ${low}` : value > high ? `above ${high}` : 'not an integer';
  return `${el.name}=${raw} is ${why}; using ${fixed}`;
}

// One URL value into its control; a note when the control cannot take it as it is.
function restore(form, name, value) {
  const el = form.elements[name];
  if (el instanceof RadioNodeList || el.tagName === 'SELECT') {
    const choices = el instanceof RadioNodeList ? [...el] : [...el.options];
    if (!choices.some((choice) => choice.value === value)) {
      return `${name}=${value} is not one of the choices; using ${el.value}`;
    }
    el.value = value;
    return null;
  }
  if (el.type === 'checkbox') el.checked = value === 'true';
  else if (el.type === 'number') return restoreNumber(el, value);
  else el.value = value;
  return null;
}

// Restores the controls from the URL; values they cannot take keep the default or are clamped,
// and the notes returned say which (a link edited by hand should not fail silently).
export function readState(form, search = window.location.search) {
  const query = new URLSearchParams(search);
  const names = new Set(controls(form).map((el) => el.name));
  return [...names].filter((name) => query.has(name))
    .map((name) => restore(form, name, query.get(name))).filter(Boolean);
}
