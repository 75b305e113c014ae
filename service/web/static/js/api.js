// Calls to the REST API: JSON GETs and POST /sample with a JSON, float32 or .npy body.

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

// With LOGITLAB_API_TOKEN set on the server, the pages ask for the token once per tab
// (sessionStorage) and send it as a bearer token; the pages themselves are public.
const TOKEN_KEY = 'logitlab-api-token';

function withToken(headers) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { ...headers, Authorization: `Bearer ${token}` } : headers;
}

async function send(url, options) {
  let response = await fetch(url, { ...options, headers: withToken(options.headers) });
  if (response.status === 401) {
    const token = window.prompt('This Logit Lab server needs its API token:');
    if (token) {
      sessionStorage.setItem(TOKEN_KEY, token.trim());
      response = await fetch(url, { ...options, headers: withToken(options.headers) });
    }
  }
  return response;
}

async function parse(response) {
  const type = response.headers.get('Content-Type') || '';
  const body = type.includes('json') ? await response.json() : null;
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
    if (key === 'logit_bias') query.set(key, JSON.stringify(value));
    else if (Array.isArray(value)) query.set(key, value.join(','));
    else query.set(key, String(value));
  }
  return query;
}

// source: {kind: 'json', logits} | {kind: 'f32', data: Float32Array, vocab} | {kind: 'npy', bytes}
export function sampleRequest(source, params) {
  if (source.kind === 'json') {
    return { url: '/sample', type: 'application/json',
             body: JSON.stringify({ logits: source.logits, ...params }) };
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
    method: 'POST', body: JSON.stringify(document), signal,
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
