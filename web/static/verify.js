// Hưng Yên Trace: check a label on the shopper's own device.
//
// The same checks as scripts/verify_label.py and labels/signature.py, in plain JavaScript with
// no dependency: the label's signature against the published trust list, and the inclusion of
// its issuing entry in the signed checkpoint (RFC 9162 Merkle proof). Ed25519 runs in WebCrypto
// where the browser has it, else in the vendored noble-ed25519 (static/vendor/README.md).
// Every check throws a LabelCheckError whose `verdict` matches the committed test vectors.

import { fill, scriptStrings } from "./strings.js";

const encoder = new TextEncoder();
export const LABEL_CONTEXT = "hyt-label/v1\n";
export const SIGNATURE_CHARACTERS = 91; // base64url of 4 + 64 bytes, unpadded
const NOBLE = "/static/vendor/noble-ed25519-3.2.0.js";
const CHARACTER_SET_82 = /^[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}$/;

export class LabelCheckError extends Error {
  constructor(verdict, detail) {
    super(detail || verdict);
    this.verdict = verdict;
  }
}

// --- bytes -------------------------------------------------------------------------------------

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function fromHex(text) {
  if (!/^([0-9a-f]{2})*$/.test(text)) throw new LabelCheckError("malformed", "not hex");
  return Uint8Array.from(text.match(/../g) || [], (h) => parseInt(h, 16));
}

function sameBytes(a, b) {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

export function fromBase64(text) {
  const binary = atob(text);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function toBase64(bytes) {
  return btoa(String.fromCharCode(...bytes));
}

/** Unpadded base64url, refused unless canonical (no second spelling of the same bytes). */
export function fromBase64Url(text) {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new LabelCheckError("malformed", "not base64url");
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
  let bytes;
  try {
    bytes = fromBase64(padded);
  } catch {
    throw new LabelCheckError("malformed", "not base64url");
  }
  const again = toBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  if (again !== text) throw new LabelCheckError("malformed", "not canonical base64url");
  return bytes;
}

export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

// --- Ed25519: WebCrypto where present, else the vendored pure-JS implementation ------------------

let implementation = null;

/** Which Ed25519 runs: "webcrypto" or "noble-ed25519 3.2.0". ``force`` is for tests. */
export async function ed25519(force) {
  if (implementation && !force) return implementation;
  if (force !== "noble") {
    try {
      const probe = await crypto.subtle.importKey("raw", new Uint8Array(32).fill(0x11), { name: "Ed25519" }, false, ["verify"]);
      if (probe) {
        implementation = {
          name: "webcrypto",
          async verify(publicKey, message, signature) {
            const key = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
            return crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
          },
        };
        return implementation;
      }
    } catch {
      // no Ed25519 in this browser's WebCrypto: fall through to the vendored implementation
    }
  }
  const noble = await import(NOBLE);
  implementation = {
    name: "noble-ed25519 3.2.0",
    async verify(publicKey, message, signature) {
      try {
        // RFC 8032 strictness, as the server's OpenSSL applies it.
        return await noble.verifyAsync(signature, message, publicKey, { zip215: false });
      } catch {
        return false;
      }
    },
  };
  return implementation;
}

// --- signed notes and keys -----------------------------------------------------------------------

/** ``<name>+<hex key ID>+<base64(0x01 || public key)>``, its key ID checked. */
export async function parseVkey(vkey) {
  // A key name never holds "+"; the base64 after the key ID may.
  const match = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/]+=*)$/.exec(vkey);
  if (!match) throw new LabelCheckError("malformed", "bad key " + vkey);
  const [, name, id, encoded] = match;
  const raw = fromBase64(encoded);
  if (raw.length !== 33 || raw[0] !== 1 || !/^[0-9a-f]{8}$/.test(id)) {
    throw new LabelCheckError("malformed", "bad key " + vkey);
  }
  const publicKey = raw.slice(1);
  const keyId = await computeKeyId(name, publicKey);
  if (keyId !== parseInt(id, 16)) throw new LabelCheckError("malformed", "key ID mismatch " + vkey);
  return { name, keyId, publicKey, vkey };
}

export async function computeKeyId(name, publicKey) {
  const digest = await sha256(concat(encoder.encode(name + "\n"), Uint8Array.of(1), publicKey));
  return ((digest[0] << 24) | (digest[1] << 16) | (digest[2] << 8) | digest[3]) >>> 0;
}

// As ledger/note.py (and Go's note.Open): more signature lines and the note is malformed.
export const MAX_SIGNATURES = 100;
const SIGNATURE_PREFIX = "\u2014 ";
const CONTROL_CHARACTER = /[\x00-\x09\x0b-\x1f]/;
const NAME_FORBIDDEN = /[\s+]/;

function malformed(detail) {
  return new LabelCheckError("malformed", detail);
}

/**
 * A note's text and signature lines, by ledger/note.py's rules: no control characters, the text
 * then a blank line, at most MAX_SIGNATURES lines, the last ending in a newline. Counting comes
 * before any line is parsed or verified.
 */
export function splitNote(note) {
  if (CONTROL_CHARACTER.test(note)) throw malformed("the note contains a control character");
  const split = note.lastIndexOf("\n\n");
  if (split < 0) throw malformed("not a signed note");
  const block = note.slice(split + 2);
  if (!block.endsWith("\n")) throw malformed("the signature block does not end in a newline");
  const lines = block.slice(0, -1).split("\n");
  if (lines.length > MAX_SIGNATURES) throw malformed(`more than ${MAX_SIGNATURES} signatures`);
  return { text: note.slice(0, split + 1), lines };
}

/** Standard base64 as Python's ``b64decode(validate=True)`` takes it: atob alone is lenient. */
function fromStrictBase64(text) {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
    throw malformed("a signature is not valid base64");
  }
  return fromBase64(text);
}

/**
 * One line ``— <name> base64(key ID || signature)``. Every line must be one, whether or not its
 * key is trusted: junk after a good signature rejects the note, as the server's reader does.
 */
export function parseSignatureLine(line) {
  if (!line.startsWith(SIGNATURE_PREFIX)) throw malformed("a signature line does not start with '\u2014 '");
  const rest = line.slice(SIGNATURE_PREFIX.length);
  const space = rest.indexOf(" ");
  const [name, encoded] = space < 0 ? [rest, ""] : [rest.slice(0, space), rest.slice(space + 1)];
  if (space < 0 || encoded.includes(" ")) throw malformed("a signature line is not '\u2014 name signature'");
  if (!name || NAME_FORBIDDEN.test(name)) throw malformed("a key name is empty or contains a space or '+'");
  const raw = fromStrictBase64(encoded);
  if (raw.length < 5) throw malformed("a signature is too short");
  const keyId = ((raw[0] << 24) | (raw[1] << 16) | (raw[2] << 8) | raw[3]) >>> 0;
  return { name, keyId, signature: raw.slice(4) };
}

/**
 * Open a signed note: its text, once every line is well-formed and every signature by one of
 * ``keys`` verifies, at least one. Identical lines are checked once (they verify alike).
 */
export async function openNote(note, keys) {
  const { text, lines } = splitNote(note);
  const signatures = [...new Set(lines)].map(parseSignatureLine);
  const verifier = await ed25519();
  const message = encoder.encode(text);
  let verified = false;
  for (const { name, keyId, signature } of signatures) {
    const key = keys.find((k) => k.name === name && k.keyId === keyId);
    if (!key) continue;
    if (!(await verifier.verify(key.publicKey, message, signature))) {
      throw new LabelCheckError("bad_signature", "the note's signature does not verify");
    }
    verified = true;
  }
  if (!verified) throw new LabelCheckError("unknown_key", "no trusted key signed the note");
  return text;
}

export async function parseTrustList(text) {
  const lines = text.replace(/\n$/, "").split("\n");
  if (lines[0] !== "hyt-ledger/trust/v1" || !lines[1].startsWith("origin ")) {
    throw new LabelCheckError("malformed", "not a trust list");
  }
  const keys = [];
  for (const line of lines.slice(2)) {
    if (!line.startsWith("key ")) continue;
    const tokens = Object.fromEntries([...line.slice(4).matchAll(/([a-z_]+)=(\S+)/g)].map((m) => [m[1], m[2]]));
    keys.push({
      ...(await parseVkey(tokens.vkey)),
      role: tokens.role,
      from: Number(tokens.from),
      until: tokens.until === undefined ? null : Number(tokens.until),
      status: tokens.status || "active",
      organisation: tokens.org || null,
      prefixes: (tokens.prefixes || "").split(",").filter(Boolean),
    });
  }
  return { origin: lines[1].slice(7), keys };
}

// --- labels --------------------------------------------------------------------------------------

function gtinCheckDigitOk(gtin) {
  let sum = 0;
  for (let i = 0; i < 13; i++) sum += Number(gtin[i]) * (i % 2 === 0 ? 3 : 1);
  return (10 - (sum % 10)) % 10 === Number(gtin[13]);
}

/** The label in a URL, checked as labels/digital_link.py checks it. */
export function parseLabelUrl(href) {
  let url;
  try {
    url = new URL(href);
  } catch {
    throw new LabelCheckError("malformed", "not a URL");
  }
  const segments = url.pathname.split("/");
  const n = segments.length;
  if (n < 7 || segments[n - 6] !== "01" || segments[n - 4] !== "10" || segments[n - 2] !== "21") {
    throw new LabelCheckError("malformed", "the path must end in /01/<GTIN-14>/10/<lot>/21/<serial>");
  }
  const [gtin, rawLot, serial] = [segments[n - 5], segments[n - 3], segments[n - 1]];
  if (!/^[0-9]{14}$/.test(gtin) || !gtinCheckDigitOk(gtin)) throw new LabelCheckError("malformed", "bad GTIN");
  if (!/^(0|[1-9][0-9]{0,19})$/.test(serial)) throw new LabelCheckError("malformed", "bad serial");
  if (!/^(?:[^%]|%[0-9A-Fa-f]{2})*$/.test(rawLot)) throw new LabelCheckError("malformed", "bad lot escape");
  let lot;
  try {
    lot = decodeURIComponent(rawLot);
  } catch {
    throw new LabelCheckError("malformed", "bad lot escape");
  }
  if (!CHARACTER_SET_82.test(lot)) throw new LabelCheckError("malformed", "bad lot");
  const signatures = url.searchParams.getAll("s");
  if (signatures.length > 1) throw new LabelCheckError("malformed", "the signature parameter s appears twice");
  return { gtin, lot, serial, signature: signatures.length ? signatures[0] : null };
}

export function signedMessage(origin, label) {
  return encoder.encode(`${LABEL_CONTEXT}${origin}\n(01)${label.gtin}(10)${label.lot}(21)${label.serial}\n`);
}

/**
 * Verify a label URL against the trust list's label keys; resolves to the key, or throws a
 * LabelCheckError. ``issuedAt`` is the issuing entry's position when known (see signature.py).
 */
export async function verifyLabel(origin, href, keys, issuedAt = null) {
  const label = parseLabelUrl(href);
  if (label.signature === null) throw new LabelCheckError("malformed", "the label has no signature parameter s");
  if (label.signature.length !== SIGNATURE_CHARACTERS) throw new LabelCheckError("malformed", "the signature has the wrong length");
  const raw = fromBase64Url(label.signature);
  const wanted = ((raw[0] << 24) | (raw[1] << 16) | (raw[2] << 8) | raw[3]) >>> 0;
  const candidates = keys.filter(
    (k) => k.role === "label" && k.organisation && k.keyId === wanted && k.name === `${origin}/label/${k.organisation}`,
  );
  if (!candidates.length) throw new LabelCheckError("unknown_key", "unknown key " + wanted.toString(16).padStart(8, "0"));
  const verifier = await ed25519();
  const message = signedMessage(origin, label);
  let key = null;
  for (const candidate of candidates) {
    if (await verifier.verify(candidate.publicKey, message, raw.slice(4))) {
      key = candidate;
      break;
    }
  }
  if (!key) throw new LabelCheckError("bad_signature", "the signature does not match");
  if (!key.prefixes.some((p) => label.gtin.slice(1).startsWith(p))) {
    throw new LabelCheckError("out_of_scope", "the key may not sign this GTIN");
  }
  if (key.status === "revoked" && (issuedAt === null || (key.until !== null && issuedAt >= key.until))) {
    throw new LabelCheckError("key_revoked", "the key was revoked");
  }
  if (issuedAt !== null && !(key.from <= issuedAt && (key.until === null || issuedAt < key.until))) {
    throw new LabelCheckError("key_not_valid", "the key was not valid when the label was issued");
  }
  return { key, label };
}

// --- Merkle proofs (RFC 9162, section 2.1.3.2) -------------------------------------------------------

export async function leafHash(data) {
  return sha256(concat(Uint8Array.of(0), data));
}

async function nodeHash(left, right) {
  return sha256(concat(Uint8Array.of(1), left, right));
}

export async function rootFromInclusionProof(index, size, leaf, proof) {
  if (!(Number.isInteger(index) && Number.isInteger(size) && 0 <= index && index < size)) {
    throw new LabelCheckError("bad_proof", "index outside the tree");
  }
  if (leaf.length !== 32 || proof.some((h) => h.length !== 32)) throw new LabelCheckError("bad_proof", "hash of the wrong length");
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) throw new LabelCheckError("bad_proof", "the proof is too long");
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new LabelCheckError("bad_proof", "the proof is too short");
  return r;
}

export async function verifyInclusion(index, size, leaf, proof, root) {
  const computed = await rootFromInclusionProof(index, size, leaf, proof);
  if (!sameBytes(computed, root)) throw new LabelCheckError("bad_proof", "the proof leads to another root");
}

// --- the page --------------------------------------------------------------------------------------

function parseCheckpoint(text) {
  const lines = text.split("\n");
  return { origin: lines[0], size: Number(lines[1]), root: fromBase64(lines[2]) };
}

async function fetchText(path) {
  const response = await fetch(path, { cache: "no-store" });
  if (!response.ok) throw new LabelCheckError("unavailable", `${path}: ${response.status}`);
  return response.text();
}

async function fetchJson(path) {
  return JSON.parse(await fetchText(path));
}

/** Run every check in the browser, reporting each step to ``report(step, ok, detail)``. */
export async function verifyOnDevice(panel, report) {
  const logKey = await parseVkey(panel.dataset.logKey);
  const implementation = await ed25519();
  report("implementation", true, implementation.name);
  const trust = await parseTrustList(await openNote(await fetchText("/ledger/trust"), [logKey]));
  report("trust", true, `${trust.keys.length}`);
  const checkpoint = parseCheckpoint(await openNote(await fetchText("/ledger/checkpoint"), [logKey]));
  report("checkpoint", true, `${checkpoint.size}`);
  const entryIndex = Number(panel.dataset.entry);
  const entryBytes = new Uint8Array(await (await fetch(`/ledger/entries/${entryIndex}/raw`)).arrayBuffer());
  const issue = JSON.parse(new TextDecoder().decode(entryBytes).slice(entryBytes.indexOf(10) + 1));
  const { key, label } = await verifyLabel(trust.origin, window.location.href, trust.keys, entryIndex);
  const serial = BigInt(label.serial);
  if (
    issue.type !== "label.issue" ||
    issue.payload.lot !== `lot:${label.gtin}/${label.lot}` ||
    issue.payload.label_key !== key.vkey ||
    serial < BigInt(issue.payload.first_serial) ||
    serial > BigInt(issue.payload.last_serial)
  ) {
    throw new LabelCheckError("not_issued", "the issuing entry does not cover this label");
  }
  report("signature", true, key.organisation);
  const leaf = await leafHash(entryBytes);
  const proof = await fetchJson(`/ledger/proof/inclusion?index=${entryIndex}&size=${checkpoint.size}`);
  await verifyInclusion(entryIndex, checkpoint.size, leaf, proof.hashes.map(fromHex), checkpoint.root);
  report("proof", true, `${checkpoint.size}`);
  return { implementation: implementation.name, size: checkpoint.size };
}

/**
 * The signer as the server's check names it: the organisation's name for the GLN the server
 * named, "the farm that issued it" where the server names none (a household farm), else the GLN.
 */
export function signerName(words, gln) {
  const signers = words.signers || {};
  if (Object.hasOwn(signers, gln)) return signers[gln];
  return Object.keys(signers).length === 0 && words.unnamed_signer ? words.unnamed_signer : gln;
}

/** What the shopper reads when a check fails: the verdict in the page's language. A verdict
 * the page has no sentence for (or an error that is not a LabelCheckError) gets the general one. */
export function failureText(words, error) {
  const verdicts = words.verdicts || {};
  const verdict = error && Object.hasOwn(verdicts, error.verdict) ? error.verdict : "error";
  return fill(words.failed, { reason: verdicts[verdict] });
}

function start() {
  const panel = document.getElementById("on-device");
  if (!panel) return;
  const button = panel.querySelector("button");
  const list = panel.querySelector("ol");
  button.hidden = false;
  button.addEventListener("click", async () => {
    button.disabled = true;
    list.textContent = "";
    const say = (text, ok) => {
      const item = document.createElement("li");
      item.className = ok ? "ok" : "bad";
      item.textContent = text;
      list.append(item);
    };
    const words = scriptStrings("on-device-strings");
    try {
      const shown = (step, detail) => (step === "signature" ? signerName(words, detail) : detail);
      const result = await verifyOnDevice(panel, (step, ok, detail) => say(`${words[step]} ${shown(step, detail)}`, ok));
      say(fill(words.done, { size: result.size }), true);
      panel.dataset.result = "ok";
    } catch (error) {
      say(failureText(words, error), false);
      panel.dataset.result = error.verdict || "error";
      panel.dataset.detail = error.message; // the technical detail, for whoever debugs the page
    } finally {
      button.disabled = false;
    }
  });
}

/** The shopper may share roughly where the label was scanned (rounded here and on the server);
 * the page then says in words what happened: recorded, not counted, refused and why, or no
 * location. */
// The first sentence of a JSON error's field errors ({field: [sentence, ...], ...}), which
// says what was wrong where the top-level message only says that something was.
function firstSentence(errors) {
  if (typeof errors === "string") return errors;
  if (!errors || typeof errors !== "object") return "";
  for (const value of Object.values(errors)) {
    const found = firstSentence(Array.isArray(value) ? value[0] : value);
    if (found) return found;
  }
  return "";
}

function shareArea() {
  const panel = document.getElementById("share-area");
  if (!panel || !navigator.geolocation) return;
  panel.hidden = false;
  const button = panel.querySelector("button");
  const result = panel.querySelector(".result");
  const words = scriptStrings("share-area-strings");
  const say = (outcome, text) => {
    result.textContent = text;
    panel.dataset.result = outcome;
  };
  button.addEventListener("click", () => {
    button.disabled = true;
    say("asking", words.asking);
    navigator.geolocation.getCurrentPosition(
      async (position) => {
        const round = (x) => (Math.round(x * 10) / 10).toFixed(1);
        try {
          const response = await fetch("/scans/area", {
            method: "POST",
            headers: { "Content-Type": "application/json", Accept: "application/json" },
            body: JSON.stringify({
              url: window.location.href,
              latitude: round(position.coords.latitude),
              longitude: round(position.coords.longitude),
            }),
          });
          const answer = await response.json().catch(() => ({}));
          if (response.ok && answer.recorded) {
            say("recorded", words.recorded);
          } else if (response.ok) {
            say("not_recorded", words.not_recorded);
          } else {
            const reason = firstSentence(answer.errors) || answer.message || response.status;
            say("refused", fill(words.refused, { reason }));
            button.disabled = false;
          }
        } catch (error) {
          say("offline", words.offline);
          button.disabled = false;
        }
      },
      () => {
        say("no_location", words.no_location);
        button.disabled = false;
      },
      { enableHighAccuracy: false, maximumAge: 600000, timeout: 20000 },
    );
  });
}

if (typeof document !== "undefined") {
  start();
  shareArea();
}
