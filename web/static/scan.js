// Hưng Yên Trace: read a code with the camera at a handover.
//
// The camera opens on a tap (getUserMedia, the back camera). Codes are read with the browser's
// own BarcodeDetector where it reads QR codes; otherwise the vendored barcode-detector package
// (ZXing-C++ compiled to WebAssembly, static/vendor/README.md) is imported then, and only then,
// and told to load its .wasm from this site instead of the CDN it would use. Every word shown
// comes from the page's script strings (the server's catalogues, web/script_strings.py); the
// manual form works without this script.
//
// "open" mode sends the code to /field/scan, which opens the lot's card. "tally" mode posts
// each code to the same form the page shows and updates the count in place, the camera still
// running: the server says whether the carton counted, was counted already, or is of another lot.

import { scriptStrings } from "./strings.js";

const FORMATS = ["qr_code", "data_matrix", "code_128", "ean_13"];
const SAME_CODE_PAUSE_MS = 2500;

const root = document.getElementById("scanner");
const words = scriptStrings("scan-strings");
const text = (name) => words[name] || "";
const status = document.getElementById("scan-status");
const video = document.getElementById("camera");
const start = document.getElementById("camera-start");
const stop = document.getElementById("camera-stop");
const torch = document.getElementById("torch");

let stream = null;
let running = false;
let lastCode = "";
let lastAt = 0;
let busy = false;

function say(message) {
  status.textContent = message;
}

async function nativeDetector() {
  if (!("BarcodeDetector" in globalThis)) return null;
  try {
    const supported = await globalThis.BarcodeDetector.getSupportedFormats();
    if (!supported.includes("qr_code")) return null;
    return new globalThis.BarcodeDetector({ formats: FORMATS.filter((f) => supported.includes(f)) });
  } catch {
    return null;
  }
}

async function wasmDetector() {
  const module = await import(root.dataset.ponyfill);
  const wasm = new URL(root.dataset.wasm, document.baseURI).href;
  // Loaded now, from this site: the package's default is a jsDelivr address.
  await module.prepareZXingModule({
    overrides: { locateFile: (path, prefix) => (path.endsWith(".wasm") ? wasm : prefix + path) },
    fireImmediately: true,
  });
  return new module.BarcodeDetector({ formats: FORMATS });
}

async function detector() {
  const native = await nativeDetector();
  if (native) {
    root.dataset.reader = "native";
    return native;
  }
  const polyfill = await wasmDetector();
  root.dataset.reader = "zxing-wasm";
  return polyfill;
}

function showTorch(track) {
  const capabilities = typeof track.getCapabilities === "function" ? track.getCapabilities() : {};
  if (!capabilities.torch) return;
  torch.hidden = false;
  torch.onclick = async () => {
    const on = torch.getAttribute("aria-pressed") !== "true";
    try {
      await track.applyConstraints({ advanced: [{ torch: on }] });
      torch.setAttribute("aria-pressed", String(on));
      torch.textContent = on ? text("torchOff") : text("torchOn");
    } catch {
      torch.hidden = true;
    }
  };
}

async function openCamera() {
  start.hidden = true;
  say(text("starting"));
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: { ideal: "environment" } },
      audio: false,
    });
  } catch {
    say(text("denied"));
    start.hidden = false;
    return;
  }
  video.srcObject = stream;
  root.querySelector(".viewfinder").hidden = false;
  await video.play();
  showTorch(stream.getVideoTracks()[0]);
  stop.hidden = false;
  let reader;
  try {
    reader = await detector();
  } catch {
    say(text("unsupported"));
    closeCamera();
    return;
  }
  say(text("looking"));
  running = true;
  root.dataset.state = "scanning";
  scanLoop(reader);
}

function closeCamera() {
  running = false;
  if (stream) stream.getTracks().forEach((track) => track.stop());
  stream = null;
  root.querySelector(".viewfinder").hidden = true;
  stop.hidden = true;
  torch.hidden = true;
  start.hidden = false;
  root.dataset.state = "closed";
}

async function scanLoop(reader) {
  while (running) {
    if (!busy && video.readyState >= 2) {
      try {
        const found = await reader.detect(video);
        if (found.length) await handle(found[0].rawValue);
      } catch {
        // A frame the reader could not take (the video resizing): try the next one.
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 120));
  }
}

async function handle(code) {
  const now = Date.now();
  // The camera sees a label for many frames: one reading per showing.
  if (code === lastCode && now - lastAt < SAME_CODE_PAUSE_MS) {
    lastAt = now;
    return;
  }
  lastCode = code;
  lastAt = now;
  if (root.dataset.mode === "open") {
    running = false;
    // The camera let go before the page is: leaving sooner, and the light goes off at once.
    if (stream) stream.getTracks().forEach((track) => track.stop());
    const target = new URL(root.dataset.openUrl, document.baseURI);
    target.searchParams.set("code", code);
    window.location.assign(target.href);
    return;
  }
  busy = true;
  try {
    await countCarton(code);
  } finally {
    busy = false;
  }
}

async function countCarton(code) {
  const form = document.getElementById("code-form");
  const body = new FormData(form);
  body.set("code", code);
  const response = await fetch(form.action, {
    method: "POST",
    body,
    headers: { Accept: "application/json" },
    credentials: "same-origin",
  });
  if (!response.ok) {
    // Refused (the shipment was received meanwhile, or the form expired): say so, and buzz as
    // for a flagged carton, rather than keep counting in silence.
    const message = document.getElementById("tally-message");
    message.textContent = text("refused");
    message.className = "flag";
    if (navigator.vibrate) navigator.vibrate([60, 60, 60]);
    return;
  }
  const tally = await response.json();
  document.getElementById("tally-serials").value = tally.serials;
  document.getElementById("tally-count").textContent = String(tally.count);
  const message = document.getElementById("tally-message");
  message.textContent = tally.message || "";
  message.className = tally.last === "counted" ? "ok" : "flag";
  document.getElementById("tally").dataset.last = tally.last || "";
  const done = document.getElementById("tally-done");
  const next = new URL(done.href, document.baseURI);
  next.searchParams.set("counted", String(tally.count));
  done.href = next.href;
  if (navigator.vibrate) navigator.vibrate(tally.last === "counted" ? 60 : [60, 60, 60]);
}

if (!window.isSecureContext || !navigator.mediaDevices?.getUserMedia) {
  document.getElementById("secure-note").hidden = window.isSecureContext;
  if (window.isSecureContext) say(text("unsupported"));
} else {
  start.hidden = false;
  start.addEventListener("click", openCamera);
  stop.addEventListener("click", closeCamera);
}
root.dataset.ready = "true";
