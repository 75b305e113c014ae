// Logits sources: synthetic Zipf/Gaussian rows made here, pasted JSON, an uploaded .npy, the LM.
// They only produce logits; every probability shown comes back from POST /sample.

import { getJSON, postJSON } from './api.js';

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled(V, random) {
  const ids = Array.from({ length: V }, (_, i) => i);
  for (let i = V - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [ids[i], ids[j]] = [ids[j], ids[i]];
  }
  return ids;
}

// Rank r (1-based) gets logit -s ln r; the seed permutes which token id holds which rank.
export function zipfLogits(V, s, seed) {
  const ids = shuffled(V, mulberry32(seed));
  const out = new Float32Array(V);
  for (let r = 0; r < V; r += 1) out[ids[r]] = -s * Math.log(r + 1);
  return out;
}

// iid N(0, sigma^2) logits; `outliers` random tokens get +shift*sigma on top.
export function gaussianLogits(V, sigma, outliers, shift, seed) {
  const random = mulberry32(seed);
  const out = new Float32Array(V);
  for (let i = 0; i < V; i += 1) {
    const u = 1 - random();
    out[i] = sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  }
  for (const id of shuffled(V, random).slice(0, Math.min(outliers, V))) out[id] += shift * sigma;
  return out;
}

function integer(value, fallback) {
  const parsed = Number.parseInt(value, 10);
  return Number.isFinite(parsed) ? parsed : fallback;
}

function number(value, fallback) {
  const parsed = Number.parseFloat(value);
  return Number.isFinite(parsed) ? parsed : fallback;
}

function synthetic(data, values) {
  return { request: { kind: 'f32', data, vocab: data.length }, tokens: null, vocab: data.length,
           key: values };
}

export class SourceError extends Error {}

// JSON.parse reads 1e400 as Infinity, which JSON.stringify would send as null (a masked
// token): refuse it, naming its place as the server does for +inf.
function checkFinite(logits) {
  const rows = Array.isArray(logits[0]) ? logits : [logits];
  rows.forEach((row, r) => (Array.isArray(row) ? row : []).forEach((value, i) => {
    if (typeof value === 'number' && !Number.isFinite(value)) {
      const sign = value > 0 ? '+inf' : '-inf';
      throw new SourceError(`logits row ${r}, position ${i} is ${sign} (too large for a number); `
        + 'write null to mask a token');
    }
  }));
}

function pasted(text) {
  let document;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new SourceError(`The pasted logits are not valid JSON: ${error.message}`);
  }
  const logits = Array.isArray(document) ? document : document?.logits;
  if (!Array.isArray(logits)) {
    throw new SourceError('Paste a JSON array of logits or an object with a "logits" array.');
  }
  checkFinite(logits);
  const tokens = Array.isArray(document?.tokens) ? document.tokens : null;
  const first = Array.isArray(logits[0]) ? logits[0] : logits;
  return { request: { kind: 'json', logits }, tokens, vocab: first.length, key: text };
}

async function uploaded(file) {
  if (!file) throw new SourceError('Choose a .npy file to upload.');
  const bytes = await file.arrayBuffer();
  return { request: { kind: 'npy', bytes }, tokens: null, vocab: null,
           key: `${file.name}:${file.size}:${file.lastModified}` };
}

// POST /lm/next answers the built-in model's next-token logits for the text and the text's
// token ids; GET /lm/{model}/vocab names every token id (fetched once per model).
const vocabularies = new Map();

async function vocabulary(model, signal) {
  if (!vocabularies.has(model)) {
    const answer = await getJSON(`/lm/${encodeURIComponent(model)}/vocab`, { signal });
    vocabularies.set(model, answer.tokens);
  }
  return vocabularies.get(model);
}

async function languageModel(text, signal) {
  if (!text) throw new SourceError('Type a context for the language model.');
  const answer = await postJSON('/lm/next', { text, top: 0 }, { signal });
  const tokens = await vocabulary(answer.model, signal);
  return { request: { kind: 'json', logits: answer.logits }, tokens, vocab: answer.vocab_size,
           key: `lm:${answer.model}:${text}`, model: answer.model, contextIds: answer.token_ids };
}

// A synthetic row's size: a typed array of a negative or huge length throws a raw RangeError.
function vocabSize(box) {
  const V = integer(box.value, 1000);
  const low = Number(box.min);
  const high = Number(box.max);
  if (V < low || V > high) {
    throw new SourceError(`Vocabulary size V: write an integer from ${low} to ${high}`);
  }
  return V;
}

// The source chosen in the form, built from its own controls.
export async function buildSource(form, { signal } = {}) {
  const v = (name) => form.elements[name]?.value;
  const kind = form.elements.source.value;
  if (kind === 'zipf') {
    const V = vocabSize(form.elements.zipf_V);
    const s = number(v('zipf_s'), 1.1);
    const seed = integer(v('zipf_seed'), 0);
    return synthetic(zipfLogits(V, s, seed), `zipf:${V}:${s}:${seed}`);
  }
  if (kind === 'gaussian') {
    const V = vocabSize(form.elements.gauss_V);
    const args = [number(v('gauss_sigma'), 2), integer(v('gauss_outliers'), 0),
                  number(v('gauss_shift'), 3), integer(v('gauss_seed'), 0)];
    return synthetic(gaussianLogits(V, ...args), `gaussian:${V}:${args.join(':')}`);
  }
  if (kind === 'json') return pasted(v('json'));
  if (kind === 'npy') return uploaded(form.querySelector('#npy_file').files[0]);
  if (kind === 'lm') return languageModel(v('text'), signal);
  throw new SourceError('Pick a logits source.');
}
