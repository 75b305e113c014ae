// The playground page: form -> POST /sample (neutral and processed) -> chart, trace, samples.

import { hasEndpoint, postSample } from './api.js';
import { renderBars } from './barchart.js';
import { fixed, tokenLabel } from './format.js';
import { activeOrder, readParams, readSeed } from './params.js';
import { buildSource } from './sources.js';
import { readState, writeState } from './state.js';
import { html } from './svg.js';

const config = JSON.parse(document.getElementById('config').textContent);
const form = document.getElementById('controls');
const $ = (id) => document.getElementById(id);
let generation = 0;
let inflight = null;
let neutralCache = { key: null, result: null };

// The live update and the Sample button keep their own error: typing a seed schedules an
// update, whose success must not wipe the error the click on Sample just showed.
const errors = { update: '', draw: '' };
function showError(message, origin = 'update') {
  errors[origin] = message || '';
  const shown = Object.values(errors).filter(Boolean);
  const box = $('error');
  box.hidden = !shown.length;
  box.textContent = shown.join(' ');
}

// Values from the URL that the form could not take as they were (see readState).
function showNotice(notes) {
  $('notice').hidden = !notes.length;
  $('notice').textContent = notes.length ? `The link's ${notes.join('; ')}.` : '';
}

// Values too long for a link the server accepts are left out of it (see writeState).
function showLinkNote(left) {
  const names = left.map((el) => el.dataset.linkName || el.name);
  $('link-note').hidden = !names.length;
  $('link-note').textContent = names.length
    ? `Left out of the link, too long to keep in it: ${names.join(', ')}. `
      + 'A copied link opens without it.' : '';
}

// The number box's max (1000) caps the bars too: more take seconds to draw and no one reads them.
function barsShown() {
  const box = form.elements.top;
  const N = Math.round(Number(box.value)) || 15;
  return Math.min(Number(box.max), Math.max(Number(box.min), N));
}

function syncPairs(target) {
  if (target.type === 'range') form.elements[target.dataset.for].value = target.value;
  else if (target.type === 'number') {
    const range = document.getElementById(`${target.id}-range`);
    if (range && target.value !== '') range.value = target.value;
  }
}

function showSourcePanel() {
  const kind = form.elements.source.value;
  for (const panel of form.querySelectorAll('.source')) panel.hidden = panel.dataset.source !== kind;
}

function markOffOrder(params) {
  const order = activeOrder(params, config.presets);
  $('order-used').textContent = order.join(' → ');
  for (const knob of form.querySelectorAll('.knob[data-stage]')) {
    const off = !order.includes(knob.dataset.stage);
    knob.classList.toggle('off', off);
    knob.querySelector('.off-order').hidden = !off;
  }
}

function renderTrace(trace, raw) {
  const first = html('tr', { class: 'raw' }, [
    html('th', { scope: 'row', text: 'raw softmax' }),
    html('td', { text: String(raw.kept[0]) }), html('td', { text: '–' }),
    html('td', { text: fixed(raw.entropy[0], 4) }),
  ]);
  const rows = trace.map((step) => html('tr', { class: 'stage' }, [
    html('th', { scope: 'row', text: step.stage }),
    html('td', { text: String(step.kept) }),
    html('td', { text: fixed(step.removed_mass, 4) }),
    html('td', { text: fixed(step.entropy, 4) }),
  ]));
  $('trace').tBodies[0].replaceChildren(first, ...rows);
}

// With the language model, the penalties may count the context's own token ids.
function withContext(params, source) {
  if (source.contextIds && !params.context && form.elements.lm_context.checked) {
    params.context = source.contextIds;
  }
  $('lm-model').textContent = source.model
    ? `Model ${source.model}; the context is ${source.contextIds.length} tokens.` : '';
}

async function neutral(source, signal) {
  if (neutralCache.key !== source.key) {
    const result = await postSample(source.request, { n: 1, seed: 0, return_probs: true },
                                    { signal });
    neutralCache = { key: source.key, result };
  }
  return neutralCache.result;
}

async function update() {
  generation += 1;
  const mine = generation;
  inflight?.abort();
  inflight = new AbortController();
  const { signal } = inflight;
  showLinkNote(writeState(form));
  showSourcePanel();
  $('status').textContent = 'Updating…';
  try {
    const params = readParams(form, config.knobs);
    markOffOrder(params);
    const source = await buildSource(form, { signal });
    withContext(params, source);
    const [before, after] = await Promise.all([
      neutral(source, signal),
      postSample(source.request, { ...params, n: 1, seed: 0, return_probs: true, trace: true },
                 { signal }),
    ]);
    if (mine !== generation) return;
    const summary = renderBars($('chart'), {
      before: before.probs[0], after: after.probs[0], tokens: source.tokens, N: barsShown(),
    });
    $('chart-summary').textContent = summary;
    $('entropy-before').textContent = `${fixed(before.entropy[0], 4)} nats`;
    $('entropy-after').textContent = `${fixed(after.entropy[0], 4)} nats`;
    $('kept').textContent = String(after.kept[0]);
    $('vocab').textContent = String(after.probs[0].length);
    renderTrace(after.trace[0], before);
    $('status').textContent = after.probs.length > 1 ? `Showing row 0 of ${after.probs.length}.` : '';
    showError('');
  } catch (error) {
    if (error.name === 'AbortError' || mine !== generation) return;
    $('status').textContent = '';
    showError(error.message);
  } finally {
    settled(mine);
  }
}

async function drawSamples() {
  const n = Number(form.elements.n.value) || 1;
  try {
    const seed = readSeed(form.elements.seed.value);
    const extra = seed === undefined ? { n } : { n, seed };
    const params = readParams(form, config.knobs);
    const source = await buildSource(form);
    withContext(params, source);
    const result = await postSample(source.request, { ...params, ...extra });
    const tokens = result.tokens[0];
    const counts = new Map();
    for (const id of tokens) counts.set(id, (counts.get(id) || 0) + 1);
    const chips = tokens.map((id, i) => html('li', {
      class: 'chip', 'data-token': id,
      title: `logprob ${fixed(result.logprobs[0][i], 3)}`, text: tokenLabel(id, source.tokens),
    }));
    $('samples').replaceChildren(
      html('p', { text: `${tokens.length} draws, ${counts.size} distinct, seed ${result.seed[0]}.` }),
      html('ol', { class: 'chips', 'aria-label': 'Drawn tokens' }, chips),
    );
    showError('', 'draw');
  } catch (error) {
    showError(error.message, 'draw');
  }
}

// body[data-state] is 'pending' while an update is scheduled or in flight, then 'idle'.
let timer = null;
function schedule() {
  clearTimeout(timer);
  document.body.dataset.state = 'pending';
  timer = setTimeout(() => {
    timer = null;
    update();
  }, 60);
}

function settled(mine) {
  if (mine === generation && timer === null) document.body.dataset.state = 'idle';
}

// Some controls sit beside the results with form="controls": listen on the document.
document.addEventListener('input', (event) => {
  if (event.target.form !== form) return;
  syncPairs(event.target);
  schedule();
});
document.addEventListener('change', (event) => {
  if (event.target.form === form) schedule();
});
form.addEventListener('submit', (event) => event.preventDefault());
$('sample-button').addEventListener('click', drawSamples);

showNotice(readState(form));
for (const range of [...form.elements].filter((el) => el.type === 'range')) {
  range.value = form.elements[range.dataset.for].value;
}
document.body.dataset.state = 'pending';
update();
hasEndpoint('/lm/next').then((found) => {
  $('source-lm-choice').hidden = !found;
  if (!found && form.elements.source.value === 'lm') showError('The language-model source is not available on this server.');
});
