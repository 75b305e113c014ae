// One run: its provenance, a heatmap and a line chart of any statistic over its cells.

import { authorizeLinks, getJSON } from './api.js';
import { renderHeatmap, valuesTable } from './heatmap.js';
import { renderLines } from './linechart.js';
import { readState, writeState } from './state.js';
import { html } from './svg.js';

const config = JSON.parse(document.getElementById('config').textContent);
const form = document.getElementById('view');
const $ = (id) => document.getElementById(id);
const AXES = ['temperature', 'top_p'];
const LIMIT = 1000;
let cells = [];
let grid = null; // the run's swept values: axes keep a row even when its cells are missing

function showError(message) {
  $('error').hidden = !message;
  $('error').textContent = message || '';
}

// run.id is exact (api.js reads integers beyond 2**53 as text), as the title needs.
function showMeta(run) {
  $('run-title').textContent = `Run ${run.id}${run.name ? `: ${run.name}` : ''}`;
  document.title = `${$('run-title').textContent} · Logit Lab`;
  // A generation run's rows are prompts and its samples are continuations per prompt.
  const [rowName, sampleName] = run.engine === 'generation'
    ? ['Prompts', 'Continuations per prompt'] : ['Rows', 'Samples per row'];
  const rows = [
    ['Status', run.status], ['Source', run.source], ['Preset', run.preset],
    ['Stage order', (run.stage_order || []).join(' → ')], [sampleName, run.samples],
    [`${rowName} × vocabulary`, `${run.n_rows} × ${run.vocab_size}`], ['Seed', run.seed],
    ['Engine', run.engine], ['Cells', `${run.cells_done} / ${run.n_cells}`],
    ['Created (UTC)', (run.created_at || '').replace('T', ' ').slice(0, 19)],
    ['Code version', run.code_version],
  ];
  $('meta').replaceChildren(...rows.flatMap(([key, value]) => [
    html('dt', { text: key }), html('dd', { text: String(value ?? '') })]));
}

// A select for each other swept knob: the charts show one slice of the grid at a time.
function buildFixedControls(grid) {
  const swept = Object.entries(grid || {})
    .filter(([name, values]) => !AXES.includes(name) && values.length > 1);
  $('fixed').replaceChildren(...swept.map(([name, values]) => html('div', {}, [
    html('label', { for: `fix-${name}`, text: name }),
    html('select', { id: `fix-${name}`, name }, values.map((v, i) => {
      const option = html('option', { value: String(v), text: String(v) });
      option.defaultSelected = i === 0;
      option.selected = i === 0;
      return option;
    })),
  ])));
}

function filters() {
  const query = new URLSearchParams();
  for (const select of $('fixed').querySelectorAll('select')) query.set(select.name, select.value);
  return query;
}

async function loadCells() {
  const out = [];
  for (let offset = 0; ; offset += LIMIT) {
    const query = filters();
    query.set('limit', String(LIMIT));
    query.set('offset', String(offset));
    const page = await getJSON(`/runs/${config.run_id}/cells?${query}`);
    out.push(...page.items);
    if (out.length >= page.total || !page.items.length) return out;
  }
}

function render() {
  writeState(form);
  const metric = form.elements.metric.value;
  const query = filters();
  query.set('metric', metric);
  $('png-link').href = `/runs/${config.run_id}/heatmap.png?${query}`;
  query.delete('metric');
  $('cells-link').href = `/runs/${config.run_id}/cells?${query}`;
  $('png-item').hidden = !cells.length; // the server has no heatmap to draw without cells
  if (!cells.length) {
    $('status').textContent = 'This run has no cells yet.';
    return;
  }
  $('heatmap-summary').textContent = renderHeatmap($('heatmap'), {
    cells, metric, grid, tooltip: $('tooltip'), readout: $('readout'),
  });
  valuesTable($('heatmap-table'), { cells, metric, grid });
  $('lines-summary').textContent = renderLines($('lines'), { cells, metric, grid });
  $('status').textContent = `${cells.length} cells.`;
}

async function reload() {
  $('status').textContent = 'Loading…';
  try {
    cells = await loadCells();
    render();
    showError('');
  } catch (error) {
    $('status').textContent = ''; // the error says what happened; nothing is loading any more
    showError(error.message);
  }
}

// Under an API token the page is served before anyone knows the run's kind: offer the
// statistics of its engine's cells once the (authorized) run document says which it is.
function useKind(run) {
  const kind = config.kinds[run.engine] || config.kinds['*'];
  const select = form.elements.metric;
  if ([...select.options].map((o) => o.value).join() === kind.metrics.join()) return;
  select.replaceChildren(...kind.metrics.map((name) => {
    const option = html('option', { value: name, text: name });
    option.defaultSelected = name === kind.default;
    option.selected = name === kind.default;
    return option;
  }));
}

async function start() {
  const run = await getJSON(`/runs/${config.run_id}`);
  useKind(run);
  showMeta(run);
  grid = run.grid;
  buildFixedControls(run.grid);
  // A statistic or knob value from the URL that this run lacks keeps the default (the first).
  readState(form);
  await reload();
}

// A missing run's page is the server's 404 message alone: nothing to load.
if (!config.missing) {
  form.addEventListener('change', (event) => {
    if (event.target.name === 'metric') render();
    else reload();
  });
  form.addEventListener('submit', (event) => event.preventDefault());
  authorizeLinks(form, (error) => showError(error.message));
  start().catch((error) => {
    $('status').textContent = '';
    showError(error.message);
  });
}
