// Calls to the REST API: JSON GETs and POST /sample with a JSON, float32 or .npy body.

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

// Seeds and ids are 63-bit integers: a JavaScript Number keeps only 53 bits, so JSON.parse
// would round them (2**60 + 1 -> ...847000). Integer literals beyond Number's safe range
// arrive as strings of their digits instead; strings in the text are matched first and kept.
const LITERAL = /("(?:[^"\\]|\\.)*")|(?<![\w.+-])(-?\d{16,})(?![\d.eE])/g;

export function parseExact(text) {
  return JSON.parse(text.replace(LITERAL, (match, string, digits) => (
    string || Number.isSafeInteger(Number(digits)) ? match : `"${digits}"`)));
}

// JSON.stringify cannot write a BigInt, and writes Infinity and NaN as null (a masked logit):
// a BigInt goes out as its integer literal, and a non-finite number is refused.
const BIGINT = '\u0000bigint:';

export function toJSON(document) {
  const text = JSON.stringify(document, (key, value) => {
    if (typeof value === 'bigint') return `${BIGINT}${value}`;
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw new RangeError(`${key ? `"${key}"` : 'a value'} is ${value}: JSON has no such number`);
    }
    return value;
  });
  return text.replace(/"\\u0000bigint:(-?\d+)"/g, '$1');
}

// With LOGITLAB_API_TOKEN set on the server, the pages ask for the token once per tab
// (sessionStorage) and send it as a bearer token; the pages themselves are public.
const TOKEN_KEY = 'logitlab-api-token';
let prompts = 0; // prompts shown by this page so far

function storedToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

function withToken(headers) {
  const token = storedToken();
  return token ? { ...headers, Authorization: `Bearer ${token}` } : headers;
}

// After a 401: the token to retry with, or null. Concurrent first calls all get a 401, but
// only a call sent after the last prompt asks again; the others take that prompt's answer.
function tokenAfter401(sent, asked) {
  if (asked === prompts) {
    prompts += 1;
    const typed = window.prompt('This Logit Lab server needs its API token:');
    if (typed && typed.trim()) sessionStorage.setItem(TOKEN_KEY, typed.trim());
  }
  const token = storedToken();
  return token && token !== sent ? token : null;
}

async function send(url, options) {
  const asked = prompts;
  const sent = storedToken();
  let response = await fetch(url, { ...options, headers: withToken(options.headers) });
  if (response.status === 401 && tokenAfter401(sent, asked)) {
    response = await fetch(url, { ...options, headers: withToken(options.headers) });
  }
  return response;
}

async function parse(response) {
  const type = response.headers.get('Content-Type') || '';
  const body = type.includes('json') ? parseExact(await response.text()) : null;
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

export async function getJSON(url, { signal } = {}) {
  return parse(await send(url, { headers: { Accept: 'application/json' }, signal }));
}

// Parameters in the query-string forms that binary bodies use (see README: binary bodies).
export function toQuery(params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    if (key === 'logit_bias') query.set(key, toJSON(value));
    else if (Array.isArray(value)) query.set(key, value.join(','));
    else query.set(key, String(value));
  }
  return query;
}

// source: {kind: 'json', logits} | {kind: 'f32', data: Float32Array, vocab} | {kind: 'npy', bytes}
export function sampleRequest(source, params) {
  if (source.kind === 'json') {
    return { url: '/sample', type: 'application/json',
             body: toJSON({ logits: source.logits, ...params }) };
  }
  const query = toQuery(params);
  if (source.kind === 'f32') {
    query.set('vocab', String(source.vocab));
    return { url: `/sample?${query}`, type: 'application/octet-stream', body: source.data };
  }
  return { url: `/sample?${query}`, type: 'application/x-npy', body: source.bytes };
}

export async function postSample(source, params, { signal } = {}) {
  const { url, type, body } = sampleRequest(source, params);
  const response = await send(url, {
    method: 'POST', body, signal,
    headers: { 'Content-Type': type, Accept: 'application/json' },
  });
  return parse(response);
}

export async function postJSON(url, document, { signal } = {}) {
  const response = await send(url, {
    method: 'POST', body: toJSON(document), signal,
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
  });
  return parse(response);
}

// Does the server document this path (feature detection for optional endpoints)?
export async function hasEndpoint(path) {
  try {
    const spec = await getJSON('/openapi.json');
    return Object.hasOwn(spec.paths || {}, path);
  } catch {
    return false;
  }
}

// A link to an API document (a PNG, cells JSON, a load test) is a navigation, which carries
// no bearer header. Under a token, fetch it with the header and open the answer as a blob
// URL in a new tab (or download it when pop-ups are blocked).
async function openWithToken(url) {
  const response = await send(url, { headers: {} });
  if (!response.ok) await parse(response); // throws the problem's detail
  const href = URL.createObjectURL(await response.blob());
  if (!window.open(href, '_blank')) {
    const link = Object.assign(document.createElement('a'), { href, download: '' });
    link.click();
  }
  setTimeout(() => URL.revokeObjectURL(href), 60_000); // the new tab has read it by then
}

// Links marked data-api inside `root`: plain links without a token, fetched with it otherwise.
export function authorizeLinks(root, onError) {
  root.addEventListener('click', (event) => {
    const link = event.target.closest('a[data-api]');
    if (!link || !storedToken() || link.hidden) return;
    event.preventDefault();
    openWithToken(link.href).catch((error) => onError(error));
  });
}
