// Hưng Yên Trace: the words a script shows, as the page's template wrote them in the reader's
// language (web/script_strings.py renders them into a <script type="application/json"> block).
//
//   import { scriptStrings, fill } from "./strings.js";
//   const words = scriptStrings("on-device-strings");
//   item.textContent = fill(words.done, { size: 42 });
//   tally.textContent = plural(words.cartons, 3); // forms {one, other} from ngettext

/** The strings of the data block ``id``, frozen; throws if the page has no such block. */
export function scriptStrings(id) {
  const element = document.getElementById(id);
  if (!element || element.type !== "application/json") {
    throw new Error(`no script strings #${id} on this page`);
  }
  return deepFreeze(JSON.parse(element.textContent));
}

/**
 * ``template`` with each ``{name}`` replaced by ``values[name]``. A placeholder without a value
 * stays as written, so a missing value shows on the page instead of vanishing from the sentence.
 */
export function fill(template, values = {}) {
  return template.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (whole, name) =>
    Object.hasOwn(values, name) ? String(values[name]) : whole,
  );
}

/**
 * The form of ``forms`` ({one: …, other: …}, written with ngettext in the template) that the
 * page's language uses for ``count``, filled with ``{count}`` and ``values``. Vietnamese has one
 * form ("other"); English two.
 */
export function plural(forms, count, values = {}) {
  const category = new Intl.PluralRules(document.documentElement.lang || "vi").select(count);
  const form = Object.hasOwn(forms, category) ? forms[category] : forms.other;
  return fill(form, { count, ...values });
}

function deepFreeze(value) {
  if (value && typeof value === "object") {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}
