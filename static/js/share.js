// Share, Embed and Export dialogs: a permalink to this view, an <iframe> snippet with the embed's
// options, and downloads (standalone HTML, SVG of this step, PNG at 2×). All links are built from
// one permalink code (permalink.js); the embed's options and their defaults are app/pages.py's
// EMBED_OPTIONS, which the page carries on the embed form (data-defaults): a default is left out
// of the snippet's URL.
import { warmTrace } from "./api.js";
import { encodeState } from "./permalink.js";

const TITLE = "chainrule: backpropagation, step by step";

/** `getState()` → {source, inputs, seed, step, inputCount} of what the page shows now. */
export function createSharing(doc, { getState }) {
  const q = (id) => doc.querySelector(`[data-testid="${id}"]`);
  const dialogs = { share: q("share-dialog"), embed: q("embed-dialog"), export: q("export-dialog") };
  if (!dialogs.share) return null;
  const base = new URL("/", location.href);

  for (const d of Object.values(dialogs)) {
    d.querySelector("[data-role=close]").addEventListener("click", () => d.close());
    // a click on the backdrop (the dialog element itself, outside its content) closes it
    d.addEventListener("click", (ev) => { if (ev.target === d) d.close(); });
    for (const b of d.querySelectorAll("[data-role=copy]")) {
      b.addEventListener("click", () => copy(d, q(b.dataset.target)));
    }
  }
  q("share").addEventListener("click", openShare);
  q("embed").addEventListener("click", openEmbed);
  q("export").addEventListener("click", openExport);
  dialogs.share.querySelector("[data-role=with-step]").addEventListener("change", fillShare);
  dialogs.share.querySelector("[data-role=present]").addEventListener("change", fillShare);
  dialogs.embed.querySelector("[data-role=options]").addEventListener("change", fillEmbed);
  q("export-png").addEventListener("click", downloadPng);

  async function codeFor(withStep) {
    const s = getState();
    return encodeState({ ...s, step: withStep ? s.step : -1 });
  }

  function stepLabels(d) {
    const s = getState();
    for (const el of d.querySelectorAll("[data-role=step-label]")) {
      el.textContent = s.step < 0 ? "the start" : `step ${s.step + 1}`;
    }
  }

  /** Show a dialog with fresh step labels and no stale status line. */
  function show(d) {
    stepLabels(d);
    status(d, "");
    d.showModal();
  }

  async function openShare() {
    show(dialogs.share);
    await fillShare();
    await copy(dialogs.share, q("share-link"));
  }

  async function fillShare() {
    const withStep = dialogs.share.querySelector("[data-role=with-step]").checked;
    const url = new URL(base);
    if (dialogs.share.querySelector("[data-role=present]").checked) {
      url.searchParams.set("present", "1");
    }
    const code = await codeFor(withStep);
    url.hash = `p=${code}`;
    q("share-link").value = url.href;
    warmTrace({ code });     // the class that opens this link finds its trace cached
  }

  async function openEmbed() {
    show(dialogs.embed);
    await fillEmbed();
  }

  async function fillEmbed() {
    const form = dialogs.embed.querySelector("[data-role=options]");
    const opts = {
      editor: form.elements.editor.value,
      controls: form.elements.controls.value,
      theme: form.elements.theme.value,
      inputs: form.elements.inputs.checked ? "show" : "hide",
      autoplay: form.elements.autoplay.checked ? "1" : "0",
      present: form.elements.present.checked ? "1" : "0",
    };
    const code = await codeFor(form.elements.step.checked);
    warmTrace({ code });
    q("embed-snippet").value = embedSnippet(base, code, opts, getState(),
      form.elements.autosize.checked, JSON.parse(form.dataset.defaults || "{}"));
  }

  async function openExport() {
    const code = await codeFor(true);
    const theme = document.documentElement.dataset.theme || "auto";
    q("export-html").href = exportUrl("html", code, theme);
    // the SVG is the live picture, serialised (what the learner sees, styles inlined); the
    // server's /api/export.svg stays for the CLI, the notebook and the API
    const svgLink = q("export-svg");
    if (svgLink.href.startsWith("blob:")) URL.revokeObjectURL(svgLink.href);
    svgLink.href = URL.createObjectURL(new Blob([liveSvg(doc)], { type: "image/svg+xml" }));
    const handout = new URL("/handout", base);
    handout.searchParams.set("p", code);
    q("export-handout").href = handout.href;
    show(dialogs.export);
  }

  function exportUrl(kind, code, theme) {
    const url = new URL(`/api/export.${kind}`, base);
    url.searchParams.set("p", code);
    if (theme !== "auto") url.searchParams.set("theme", theme);
    return url.href;
  }

  async function downloadPng() {
    const d = dialogs.export;
    status(d, "Drawing the PNG…");
    try {
      const blob = await svgToPng(liveSvg(doc), 2);    // the picture the SVG link holds
      const a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = "chainrule-step.png";
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
      status(d, "PNG downloaded.");
    } catch (err) {
      status(d, `The PNG could not be made: ${err.message}`);
    }
  }

  return { openShare, openEmbed, openExport };
}

/** The HTML a course page pastes: the iframe, and optionally a listener that sizes it. */
export function embedSnippet(base, code, opts, state, autosize, defaults = {}) {
  const url = new URL("/embed", base);
  for (const [k, v] of Object.entries(opts)) {
    if (v !== defaults[k]) url.searchParams.set(k, v);
  }
  url.hash = `p=${code}`;
  const height = 560 + (opts.editor !== "hide" ? 300 : 0)
    + (opts.inputs === "show" && state.inputCount ? 48 + 44 * state.inputCount : 0);
  const frame = `<iframe src="${attr(url.href)}" title="${TITLE}" width="100%" height="${height}" `
    + `style="border:0;max-width:100%" loading="lazy"></iframe>`;
  if (!autosize) return frame;
  const origin = JSON.stringify(url.origin);
  return `${frame}
<script>addEventListener("message", function (e) { var d = e.data;
  if (e.origin !== ${origin} || !d || d.type !== "chainrule" || d.event !== "resize") return;
  document.querySelectorAll("iframe").forEach(function (f) {
    if (f.contentWindow === e.source) f.style.height = d.height + "px"; }); });</script>`;
}

const attr = (s) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");

async function copy(dialog, field) {
  field.focus();
  field.select();
  try {
    await navigator.clipboard.writeText(field.value);
    status(dialog, "Copied to the clipboard.");
  } catch {
    const ok = document.execCommand && document.execCommand("copy");
    status(dialog, ok ? "Copied to the clipboard." : "Selected: press Ctrl+C (⌘C) to copy.");
  }
}

function status(dialog, text) {
  dialog.querySelector("[data-role=status]").textContent = text;
}

// what a painted element's look depends on: copied from its computed style, so the file stands
// alone (no stylesheet, the theme's colours and fonts as they are on screen)
const PAINT = ["fill", "fill-opacity", "stroke", "stroke-width", "stroke-dasharray",
  "stroke-opacity", "opacity", "font-family", "font-size", "font-weight", "font-style",
  "text-anchor", "dominant-baseline", "display", "visibility", "paint-order",
  "stroke-linejoin", "stroke-linecap"];

/** The page's graph as a standalone SVG document: the whole drawing (not the zoomed view),
 *  every element's computed paint inlined, the graph's background behind it. */
export function liveSvg(doc) {
  const src = doc.querySelector("[data-testid=graph] svg");
  if (!src) return "";
  const clone = src.cloneNode(true);
  const from = [src, ...src.querySelectorAll("*")];
  const to = [clone, ...clone.querySelectorAll("*")];
  from.forEach((el, k) => {
    const cs = getComputedStyle(el);
    // presentation attributes, not style="": the page's CSP forbids inline styles
    for (const p of PAINT) to[k].setAttribute(p, cs.getPropertyValue(p));
  });
  const box = src.querySelector(".viewport").getBBox();
  const pad = 16;
  const [x, y, w, h] = [box.x - pad, box.y - pad, box.width + 2 * pad, box.height + 2 * pad];
  clone.querySelector(".viewport").removeAttribute("transform");
  clone.setAttribute("xmlns", "http://www.w3.org/2000/svg");
  clone.setAttribute("viewBox", `${x} ${y} ${w} ${h}`);
  clone.setAttribute("width", String(Math.ceil(w)));
  clone.setAttribute("height", String(Math.ceil(h)));
  const bg = doc.createElementNS("http://www.w3.org/2000/svg", "rect");
  for (const [k, v] of Object.entries({ x, y, width: w, height: h })) bg.setAttribute(k, v);
  // the theme's graph background, resolved (the custom property itself is light-dark(…)):
  // a heat map's background rect is painted with it
  bg.setAttribute("class", "thumb-bg");
  src.appendChild(bg);
  const fill = getComputedStyle(bg).fill;
  bg.remove();
  bg.removeAttribute("class");
  bg.setAttribute("fill", fill);
  clone.insertBefore(bg, clone.firstChild);
  return '<?xml version="1.0" encoding="UTF-8"?>\n' + new XMLSerializer().serializeToString(clone);
}

/** Rasterise SVG text at `scale`× its own width and height. */
async function svgToPng(svgText, scale) {
  const doc = new DOMParser().parseFromString(svgText, "image/svg+xml");
  const root = doc.documentElement;
  const w = parseFloat(root.getAttribute("width")) || 1200;
  const h = parseFloat(root.getAttribute("height")) || 800;
  const url = URL.createObjectURL(new Blob([svgText], { type: "image/svg+xml" }));
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(w * scale);
    canvas.height = Math.round(h * scale);
    canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
    return await new Promise((ok, fail) => canvas.toBlob(
      (b) => (b ? ok(b) : fail(new Error("the browser could not encode the PNG"))), "image/png"));
  } finally {
    URL.revokeObjectURL(url);
  }
}
