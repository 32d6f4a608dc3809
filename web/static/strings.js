// Hưng Yên Trace: the words a script shows, as the page's template wrote them in the reader's
// language (web/script_strings.py renders them into a <script type="application/json"> block).
//
//   import { scriptStrings, fill } from "./strings.js";
//   const words = scriptStrings("on-device-strings");
//   item.textContent = fill(words.done, { size: 42 });

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

function deepFreeze(value) {
  if (value && typeof value === "object") {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}
