// The value a form will understand, shown as a number is typed: "1,5 kg", or why it cannot be
// read. It reads numbers as schemas/typed_numbers.py typed_decimal does (either decimal sign;
// digit grouping refused as ambiguous; the unit's step and largest value), and the same test
// vectors run through both (tests/web/field/typed_number_vectors.json). Its words are the
// server's catalogue, rendered into the form's data attributes; none is kept here. The form
// works without this script: the server says the same when the form is sent.

const TYPED = /^([0-9]+)(?:([.,])([0-9]+))?$/;
const GROUPED = /^[0-9]{1,3}(?:[., ][0-9]{3})+(?:[.,][0-9]+)?$/;
const EXCERPT_LENGTH = 24;

/** What a message shows of what was typed: whole if short, else its start and an ellipsis. */
export function excerpt(value) {
  const characters = Array.from(value);
  if (characters.length <= EXCERPT_LENGTH) return value;
  return characters.slice(0, EXCERPT_LENGTH - 1).join('') + '…';
}

function stripZeros(whole, fraction) {
  const head = whole.replace(/^0+/, '') || '0';
  const tail = (fraction || '').replace(/0+$/, '');
  return [head, tail];
}

/** The canonical decimal of digits ``whole`` and ``fraction`` (no trailing zeros). */
function canonical(whole, fraction) {
  const [head, tail] = stripZeros(whole, fraction);
  return tail ? `${head}.${tail}` : head;
}

/** Whether canonical ``value`` is above the integer ``maximum`` (both decimal strings). */
function above(value, maximum) {
  const [head, tail] = value.split('.');
  const whole = BigInt(head);
  const limit = BigInt(maximum);
  return whole > limit || (whole === limit && Boolean(tail));
}

/**
 * Read ``text`` as typed on a form, in ``unit`` ({code, places, maximum}) with the form's
 * decimal sign. Returns {value: canonical} or {error: kind, params}, the kinds being those of
 * TYPED_MESSAGES and AMOUNT_MESSAGES on the server.
 */
export function typedDecimal(text, unit, sign) {
  const value = text.normalize('NFC').trim();
  if (!value) return { error: 'empty', params: {} };
  const match = TYPED.exec(value);
  if (match === null) {
    if (GROUPED.test(value)) {
      const plain = value.replace(/[., ](?=[0-9]{3}(?:$|[., ]))/g, '');
      return { error: 'grouped', params: { value, plain: excerpt(plain) } };
    }
    return { error: 'not_number', params: { value } };
  }
  const [, rawWhole, separator, fraction] = match;
  const whole = rawWhole.replace(/^0+/, '') || '0';
  if (
    fraction !== undefined && separator !== sign && fraction.length === 3 &&
    rawWhole.length <= 3 && rawWhole[0] !== '0'
  ) {
    const small = `${whole}${sign}${fraction.replace(/0+$/, '') || '0'}`;
    return {
      error: sign === ',' ? 'ambiguous_comma' : 'ambiguous_point',
      params: { value, small: excerpt(small), large: excerpt(whole + fraction) },
    };
  }
  const number = canonical(whole, fraction);
  if (unit) {
    if (above(number, unit.maximum)) {
      return { error: 'too_large', params: { unit: unit.name, limit: { decimal: unit.maximum } } };
    }
    const places = (number.split('.')[1] || '').length;
    if (places > unit.places) {
      if (unit.places === 0) return { error: 'whole', params: { unit: unit.name } };
      const step = unit.places ? `0.${'0'.repeat(unit.places - 1)}1` : '1';
      return {
        error: 'too_fine',
        params: { unit: unit.name, step: { decimal: step }, places: { decimal: String(unit.places) } },
      };
    }
  }
  return { value: number };
}

/** A canonical decimal as the form's language writes it: "1.234,5" or "1,234.5". */
export function formatDecimal(value, sign) {
  const group = sign === ',' ? '.' : ',';
  const [head, tail] = value.split('.');
  const grouped = head.replace(/\B(?=([0-9]{3})+(?![0-9]))/g, group);
  return tail ? `${grouped}${sign}${tail}` : grouped;
}

/** A message template of the catalogue with its parameters, numbers in the form's language. */
export function fill(template, params, sign) {
  return template.replace(/\{(\w+)\}/g, (whole, name) => {
    if (!(name in params)) return whole;
    const param = params[name];
    if (param !== null && typeof param === 'object') return formatDecimal(param.decimal, sign);
    return param;
  });
}

function unitOf(form, input, units) {
  let code = input.dataset.unit;
  let name = input.dataset.unitName || '';
  if (!code && input.dataset.unitFrom) {
    const source = form.elements.namedItem(input.dataset.unitFrom);
    const option = source && source.selectedOptions ? source.selectedOptions[0] : null;
    code = option ? option.dataset.unit : undefined;
    name = option ? option.dataset.unitName || '' : '';
  }
  if (!code || !(code in units)) return null;
  const [places, maximum] = units[code];
  return { code, places, maximum, name };
}

function messages(form) {
  const found = {};
  for (const [key, text] of Object.entries(form.dataset)) {
    if (key.startsWith('msg')) {
      const kind = key.slice(3).replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`).replace(/^_/, '');
      found[kind] = text;
    }
  }
  return found;
}

function show(form, input, units, texts) {
  const output = document.getElementById(`${input.id}-understood`);
  if (!output) return;
  const sign = form.dataset.decimalSign || ',';
  if (!input.value.trim()) {
    output.textContent = '';
    output.classList.remove('refused');
    return;
  }
  const unit = unitOf(form, input, units);
  const read = typedDecimal(input.value, unit, sign);
  if ('value' in read) {
    const shown = unit ? `${formatDecimal(read.value, sign)} ${unit.name}` : formatDecimal(read.value, sign);
    output.textContent = fill(form.dataset.understood || '{value}', { value: shown }, sign);
    output.classList.remove('refused');
  } else {
    const params = { ...read.params };
    if ('value' in params) params.value = excerpt(params.value);
    output.textContent = fill(texts[read.error] || '', params, sign);
    output.classList.add('refused');
  }
}

export function start(root = document) {
  for (const form of root.querySelectorAll('form[data-decimal-sign]')) {
    const units = JSON.parse(form.dataset.units || '{}');
    const texts = messages(form);
    const inputs = form.querySelectorAll('input[data-number]');
    for (const input of inputs) {
      input.addEventListener('input', () => show(form, input, units, texts));
    }
    form.addEventListener('change', () => {
      for (const input of inputs) if (input.dataset.unitFrom) show(form, input, units, texts);
    });
  }
}

if (typeof document !== 'undefined' && !globalThis.HYT_FIELD_NO_START) {
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => start());
  else start();
}
