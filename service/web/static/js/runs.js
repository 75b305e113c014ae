// The runs list: GET /runs as a table, and GET /loadtests when the server has it.

import { authorizeLinks, getJSON, hasEndpoint } from './api.js';
import { sig } from './format.js';
import { html } from './svg.js';

const PAGE = 50;
// The load-test fields worth a column, when GET /loadtests has them.
const LOADTEST_COLUMNS = ['id', 'created_at', 'scenario', 'users', 'duration_s', 'requests',
  'failure_ratio', 'rps', 'p50_ms', 'p95_ms', 'p99_ms', 'baseline_ratio', 'passed'];
const $ = (id) => document.getElementById(id);

function gridSummary(grid) {
  const swept = Object.entries(grid || {}).filter(([, values]) => values.length > 1);
  if (!swept.length) return 'one cell';
  return swept.map(([name, values]) => `${name} ×${values.length}`).join(', ');
}

function cell(value) {
  return html('td', { text: value === null || value === undefined ? '' : String(value) });
}

// run.id is exact: api.js reads integers beyond 2**53 as text.
function runRow(run) {
  const link = html('a', { href: `/runs/${run.id}`, text: `#${run.id}` });
  return html('tr', {}, [
    html('th', { scope: 'row' }, [link]),
    cell(run.name), cell(run.status), html('td', {}, [html('code', { text: run.source })]),
    cell(run.preset), cell(gridSummary(run.grid)), cell(`${run.cells_done} / ${run.n_cells}`),
    cell((run.created_at || '').replace('T', ' ').slice(0, 19)),
  ]);
}

function pageLinks(total, offset) {
  const links = [];
  if (offset > 0) links.push(html('a', { href: `?offset=${Math.max(0, offset - PAGE)}`, text: '← Newer' }));
  if (offset + PAGE < total) links.push(html('a', { href: `?offset=${offset + PAGE}`, text: 'Older →' }));
  $('pages').replaceChildren(...links);
}

async function showRuns() {
  let offset = Math.max(0, Number(new URLSearchParams(window.location.search).get('offset')) || 0);
  let page = await getJSON(`/runs?limit=${PAGE}&offset=${offset}`);
  if (!page.items.length && page.total > 0) {
    // An offset past the last run (an edited link): show the last page, and link to it.
    offset = Math.floor((page.total - 1) / PAGE) * PAGE;
    page = await getJSON(`/runs?limit=${PAGE}&offset=${offset}`);
    window.history.replaceState(null, '', offset ? `?offset=${offset}` : window.location.pathname);
  }
  $('runs').tBodies[0].replaceChildren(...page.items.map(runRow));
  $('status').textContent = page.total
    ? `${page.total} run${page.total === 1 ? '' : 's'}; showing ${offset + 1}–${offset + page.items.length}.`
    : 'No runs yet: start one with logitlab sweep.';
  pageLinks(page.total, offset);
}

// Load tests come from another endpoint that may be absent: then the section stays hidden.
async function showLoadtests() {
  const section = $('loadtests');
  if (!(await hasEndpoint('/loadtests'))) {
    section.dataset.state = 'absent';
    return;
  }
  const page = await getJSON('/loadtests');
  const items = Array.isArray(page) ? page : page.items || [];
  const present = new Set(items.flatMap((item) => Object.keys(item)));
  const preferred = LOADTEST_COLUMNS.filter((key) => present.has(key));
  const columns = preferred.length > 3 ? preferred : [...present]
    .filter((key) => typeof items[0]?.[key] !== 'object').slice(0, 10);
  section.querySelector('thead tr').replaceChildren(
    ...columns.map((key) => html('th', { scope: 'col', text: key })));
  const rows = items.map((item) => html('tr', {}, columns.map((key) => {
    const value = item[key];
    if (key === 'id') {
      const link = html('a', { href: `/loadtests/${value}`, text: `#${value}`, 'data-api': '' });
      return html('td', {}, [link]);
    }
    if (key === 'created_at') return cell(String(value).replace('T', ' ').slice(0, 19));
    return cell(typeof value === 'number' ? sig(value, 4) : value);
  })));
  if (!rows.length) rows.push(html('tr', {}, [html('td', { text: 'No load tests yet.' })]));
  section.querySelector('tbody').replaceChildren(...rows);
  section.hidden = false;
  section.dataset.state = 'shown';
}

function showError(error) {
  $('error').hidden = false;
  $('error').textContent = error.message;
  $('status').textContent = '';
}

// Under a token, a load test's link is fetched with it (see api.js).
authorizeLinks($('loadtests'), showError);
for (const task of [showRuns, showLoadtests]) task().catch(showError);
