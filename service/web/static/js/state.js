// Page state in the URL: every named control that differs from its default is a query parameter.

function controls(form) {
  return [...form.elements].filter((el) => el.name && el.type !== 'file' && el.type !== 'button');
}

function isDefault(el) {
  if (el.type === 'radio') return !el.checked || el.defaultChecked;
  if (el.type === 'checkbox') return el.checked === el.defaultChecked;
  if (el.tagName === 'SELECT') return [...el.options].every((o) => o.selected === o.defaultSelected);
  return el.value === el.defaultValue;
}

export function writeState(form) {
  const query = new URLSearchParams();
  for (const el of controls(form)) {
    if (isDefault(el)) continue;
    query.set(el.name, el.type === 'checkbox' ? String(el.checked) : el.value);
  }
  const search = query.toString();
  const url = `${window.location.pathname}${search ? `?${search}` : ''}`;
  window.history.replaceState(null, '', url);
}

export function readState(form, search = window.location.search) {
  const query = new URLSearchParams(search);
  for (const el of controls(form)) {
    if (!query.has(el.name)) continue;
    const value = query.get(el.name);
    if (el.type === 'radio') el.checked = el.value === value;
    else if (el.type === 'checkbox') el.checked = value === 'true';
    else el.value = value;
  }
}
