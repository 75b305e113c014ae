// The /sample parameters the form describes: knobs at their neutral value are left out.

export class ParamError extends Error {}

function ids(text, field) {
  const parts = text.split(',').map((part) => part.trim()).filter(Boolean);
  const values = parts.map(Number);
  if (values.some((value) => !Number.isInteger(value) || value < 0)) {
    throw new ParamError(`${field}: write token ids as non-negative integers separated by commas`);
  }
  return values;
}

export function readParams(form, knobs) {
  const el = form.elements;
  const params = {};
  for (const knob of knobs) {
    const raw = el[knob.name].value.trim();
    if (raw === '') continue;
    const value = Number(raw);
    if (!Number.isFinite(value)) throw new ParamError(`${knob.label}: not a number`);
    if (value !== knob.neutral) params[knob.name] = value;
  }
  params.preset = el.preset.value;
  const order = el.order.value.split(',').map((stage) => stage.trim()).filter(Boolean);
  if (order.length) params.order = order;
  const context = ids(el.context.value, 'context');
  if (context.length) params.context = context;
  if (el.penalty_last_n.value.trim() !== '') params.penalty_last_n = Number(el.penalty_last_n.value);
  const bias = el.logit_bias.value.trim();
  if (bias) {
    try {
      params.logit_bias = JSON.parse(bias);
    } catch {
      throw new ParamError('logit_bias: write a JSON object such as {"3": 5}');
    }
  }
  return params;
}

// Seeds take 63 bits, more than a Number holds exactly: the seed stays a BigInt end to end.
const SEED_LIMIT = 2n ** 63n;

// The seed box as a BigInt, or undefined when empty (the server then picks a fresh seed).
export function readSeed(text) {
  const digits = text.trim();
  if (digits === '') return undefined;
  if (!/^\d+$/.test(digits) || BigInt(digits) >= SEED_LIMIT) {
    throw new ParamError(`Seed: write an integer from 0 to ${SEED_LIMIT - 1n}, or leave it empty`);
  }
  return BigInt(digits);
}

// The stages that will run: the custom order, else the preset's.
export function activeOrder(params, presets) {
  return params.order ?? presets[params.preset] ?? [];
}
