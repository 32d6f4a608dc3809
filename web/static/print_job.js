// Hưng Yên Trace: the print job page follows its job until the labels are ready.
//
// Every few seconds it asks the server for the same page and puts the new progress in place,
// instead of reloading the whole page (a timed refresh moves a screen reader back to the top
// and is refused by WCAG 2.2.1). Without JavaScript the page's link does the same by hand.

const PERIOD_MS = 3000;
const WAITING = ["queued", "running"];

async function follow(job) {
  try {
    const response = await fetch(window.location.href, { cache: "no-store", headers: { Accept: "text/html" } });
    if (response.ok && !response.redirected) {
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html").getElementById("job");
      if (fresh) {
        job.replaceChildren(...fresh.childNodes);
        job.dataset.status = fresh.dataset.status;
      }
    }
  } catch {
    // the server did not answer: try again at the next turn
  }
  if (WAITING.includes(job.dataset.status)) setTimeout(() => follow(job), PERIOD_MS);
}

const job = document.getElementById("job");
if (job && WAITING.includes(job.dataset.status)) setTimeout(() => follow(job), PERIOD_MS);
