// The field conditions axe-core does not check, measured in the page as the browser laid it
// out (tests/support/browser.py runs this with page.evaluate and explains each rule).
// Returns a list of {rule, target, summary}.
(minimum) => {
  const problems = [];
  const add = (rule, element, summary) => problems.push({ rule, target: describe(element), summary });

  function describe(element) {
    if (!element || element.nodeType !== 1) return "document";
    if (element === document.body || element === document.documentElement) return element.localName;
    const path = [];
    const top = document.body;
    for (let node = element; node && node !== top && path.length < 3; node = node.parentElement) {
      let part = node.localName;
      if (node.id) {
        path.unshift(`${part}#${node.id}`);
        break;
      }
      const classes = [...node.classList].slice(0, 2);
      if (classes.length) part += "." + classes.join(".");
      path.unshift(part);
    }
    const said = (element.getAttribute("aria-label") || element.innerText || element.value || element.name || "")
      .replace(/\s+/g, " ")
      .trim();
    return said ? `${path.join(" > ")} "${said.length > 40 ? said.slice(0, 39) + "…" : said}"` : path.join(" > ");
  }

  const shown = (element) =>
    element.checkVisibility({ visibilityProperty: true, contentVisibilityAuto: true }) &&
    element.getClientRects().length > 0;
  const px = (value) => Math.round(value * 10) / 10;

  // A link inside a sentence: laid out inline, in a block that has words besides the link's.
  function inRunningText(link) {
    if (getComputedStyle(link).display !== "inline") return false;
    let block = link.parentElement;
    while (block && getComputedStyle(block).display === "inline") block = block.parentElement;
    if (!block) return false;
    const words = block.textContent.replace(link.textContent, "");
    return /[\p{L}\p{N}]/u.test(words);
  }

  // 1. Touch targets (WCAG 2.2 SC 2.5.5, 44 x 44 CSS px).
  const targets = "a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], label";
  for (const element of document.querySelectorAll(targets)) {
    if (!shown(element)) continue;
    if (element.localName === "label") {
      const control = element.control;
      if (!control || !["checkbox", "radio"].includes(control.type)) continue;
    }
    if (element.localName === "input" && ["checkbox", "radio"].includes(element.type)) {
      if ([...element.labels].some(shown)) continue; // its label is the target, checked itself
    }
    if (element.localName === "a" && inRunningText(element)) continue;
    const box = element.getBoundingClientRect();
    if (box.width < minimum.target - 0.01 || box.height < minimum.target - 0.01) {
      add("target-size-44", element, `${px(box.width)}×${px(box.height)} px, less than ${minimum.target}×${minimum.target}`);
    }
  }

  // 2. Text size: every visible text at least minimum.text px.
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  for (let text = walker.nextNode(); text; text = walker.nextNode()) {
    const element = text.parentElement;
    if (!element || seen.has(element) || !/\S/.test(text.data)) continue;
    if (["script", "style", "noscript", "template"].includes(element.localName) || !shown(element)) continue;
    seen.add(element);
    const size = parseFloat(getComputedStyle(element).fontSize);
    if (size < minimum.text - 0.01) add("text-size-16", element, `text of ${px(size)} px, less than ${minimum.text} px`);
  }

  // 3. No horizontal scrolling: the page is no wider than the viewport.
  const root = document.documentElement;
  const width = root.clientWidth;
  const scrolled = Math.max(root.scrollWidth, document.body.scrollWidth);
  if (scrolled > width + 1) {
    const wide = [...document.body.querySelectorAll("*")].filter((element) => {
      if (!shown(element)) return false;
      const box = element.getBoundingClientRect();
      return box.right + window.scrollX > width + 1 || box.left + window.scrollX < -1;
    });
    // The outermost culprits: those whose parent does not stick out too.
    const outermost = wide.filter((element) => !wide.includes(element.parentElement)).slice(0, 5);
    for (const element of outermost) {
      const box = element.getBoundingClientRect();
      add(
        "horizontal-scroll",
        element,
        `the page scrolls sideways (${scrolled} px wide in a ${width} px viewport): this element is ` +
          `${px(box.width)} px wide, from x=${px(box.left + window.scrollX)} to x=${px(box.right + window.scrollX)}`,
      );
    }
    if (!outermost.length) add("horizontal-scroll", root, `the page is ${scrolled} px wide in a ${width} px viewport`);
  }

  // 4. Nothing behind hover: a :hover rule may restyle what is there (colour, underline,
  // outline, shadow), never show, move or size anything, unless the same rule also answers to focus.
  const restyles = /^(color|background(-color|-image)?|text-decoration(-[a-z]+)?|border(-[a-z]+)?-color|outline(-[a-z]+)?|box-shadow|cursor|text-underline-offset)$/;
  const rules = (list) => [...list].flatMap((rule) => (rule.cssRules && !rule.selectorText ? rules(rule.cssRules) : [rule]));
  for (const sheet of document.styleSheets) {
    let list;
    try {
      list = sheet.cssRules;
    } catch {
      continue; // another origin's sheet: the policy refuses those anyway
    }
    for (const rule of rules(list)) {
      if (!rule.selectorText || !rule.selectorText.includes(":hover")) continue;
      if (/:focus(-within|-visible)?\b/.test(rule.selectorText)) continue;
      const changed = [...rule.style].filter((property) => !restyles.test(property));
      if (changed.length) {
        problems.push({
          rule: "hover-only",
          target: `${rule.selectorText} (${sheet.href ? sheet.href.split("/").pop() : "inline style"})`,
          summary: `on hover only, sets ${changed.join(", ")}: a finger cannot hover; show it on tap or focus too`,
        });
      }
    }
  }
  for (const element of document.body.querySelectorAll("[title]")) {
    if (shown(element) && element.title.trim()) {
      add("hover-only", element, `a title tooltip ("${element.title.slice(0, 40)}") shows only on hover: put it in the text`);
    }
  }
  // 5. What is hidden stays hidden: a class that sets display (a button's flex box) must not
  // undo the hidden attribute.
  for (const element of document.body.querySelectorAll("[hidden]")) {
    if (element.getAttribute("hidden") !== "until-found" && getComputedStyle(element).display !== "none") {
      add("hidden-shown", element, `has the hidden attribute but is laid out as display: ${getComputedStyle(element).display}`);
    }
  }
  return problems;
}
