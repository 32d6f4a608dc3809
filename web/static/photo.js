// Hưng Yên Trace: make a photo small on the device before its form is sent.
//
// A phone's photo is several megabytes; a field's mobile connection is slow. Each photo field
// of the partial photo_input.html (data-photo-input) has its chosen photos redrawn on a canvas,
// at most data-max-side pixels on their longest side, upright as the camera held them, and
// encoded as JPEG, which also leaves the camera's EXIF (and its GPS position) on the device.
// The smaller file replaces the chosen one in the input, so the form posts as without this
// script. Where the browser cannot (no createImageBitmap, DataTransfer or canvas.toBlob), or
// cannot read the file, the file goes as chosen and the server resizes or refuses it.
// The words shown come from the server's catalogues, in the data- attributes of the field.

const QUALITY = 0.85;

function canResize() {
  return (
    typeof window.createImageBitmap === "function" &&
    typeof window.DataTransfer === "function" &&
    typeof HTMLCanvasElement.prototype.toBlob === "function"
  );
}

function filled(template, values) {
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? values[name] : whole));
}

async function resized(file, maxSide) {
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  const scale = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height));
  const width = Math.max(1, Math.round(bitmap.width * scale));
  const height = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d");
  context.fillStyle = "#fff"; // transparency becomes white, as on the server
  context.fillRect(0, 0, width, height);
  context.drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  const blob = await new Promise((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("toBlob"))), "image/jpeg", QUALITY),
  );
  const name = (file.name || "photo").replace(/\.[^.]*$/, "") + ".jpg";
  return { file: new File([blob], name, { type: "image/jpeg" }), width, height };
}

function setBusy(form, busy) {
  if (!form) return;
  for (const button of form.querySelectorAll("button[type=submit], button:not([type])")) {
    button.disabled = busy;
  }
}

function attach(field) {
  const input = field.querySelector("input[type=file]");
  const status = field.querySelector(".photo-status");
  if (!input || !status || !canResize()) return;
  const maxSide = Number(field.dataset.maxSide) || 1600;
  const language = document.documentElement.lang || undefined;
  const kilobytes = new Intl.NumberFormat(language, { maximumFractionDigits: 0 });
  let generation = 0;
  let replacing = false;
  input.addEventListener("change", async () => {
    if (replacing) return; // the resized files, put in by this script
    const chosen = Array.from(input.files || []);
    if (!chosen.length) {
      status.textContent = "";
      return;
    }
    const mine = ++generation;
    status.textContent = field.dataset.resizing;
    setBusy(input.form, true);
    try {
      const transfer = new DataTransfer();
      let last = null;
      for (const file of chosen) {
        last = await resized(file, maxSide);
        transfer.items.add(last.file);
      }
      if (mine !== generation) return; // another choice came meanwhile
      replacing = true;
      try {
        input.files = transfer.files;
      } finally {
        replacing = false;
      }
      status.textContent = filled(field.dataset.ready, {
        width: last.width,
        height: last.height,
        size: kilobytes.format(last.file.size / 1024),
      });
    } catch {
      if (mine === generation) status.textContent = field.dataset.unreadable;
    } finally {
      if (mine === generation) setBusy(input.form, false);
    }
  });
}

for (const field of document.querySelectorAll("[data-photo-input]")) attach(field);
