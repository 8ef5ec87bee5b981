// Every number of a tensor: a hover tooltip over heat-map cells, and a dialog with the full table.
import { fmt, numel, shapeText, summaryOf, valueNumbers } from "./format.js";

export function createInspector(dialog, tooltip) {
  function hover(info) {
    if (!tooltip) return;
    if (!info) { tooltip.hidden = true; return; }
    const nums = valueNumbers(info.value);
    const v = nums[info.index];
    if (v === undefined) { tooltip.hidden = true; return; }
    const idx = unravel(info.index, info.value.shape);
    const what = info.which === "grad" ? `${info.marks.grad} ${info.node.label}` : info.node.label;
    tooltip.textContent = `${what}[${idx.join(", ")}] = ${fmt(v, info.node.dtype === "int" && info.which === "value")}`;
    tooltip.hidden = false;
    const host = tooltip.offsetParent || document.body;
    const r = host.getBoundingClientRect();
    tooltip.style.left = `${Math.round(info.clientX - r.left + 12)}px`;
    tooltip.style.top = `${Math.round(info.clientY - r.top + 12)}px`;
  }

  function open({ node, which, value, marks }) {
    if (!dialog || !value) return;
    if (tooltip) tooltip.hidden = true;
    const title = dialog.querySelector("[data-role=inspector-title]");
    const body = dialog.querySelector("[data-role=inspector-body]");
    const word = marks.grad_word;
    title.textContent = `${which === "grad" ? `${word[0].toUpperCase()}${word.slice(1)} of ` : ""}${node.label} ${shapeText(value.shape)}`;
    body.replaceChildren(summaryLine(value), table(value, node.dtype === "int" && which === "value"));
    if (typeof dialog.showModal === "function") dialog.showModal();
    else dialog.setAttribute("open", "");
  }

  if (dialog) {
    const close = dialog.querySelector("[data-role=inspector-close]");
    if (close) close.addEventListener("click", () => dialog.close());
    dialog.addEventListener("click", (ev) => { if (ev.target === dialog) dialog.close(); });
  }
  return { hover, open };
}

function summaryLine(value) {
  const p = document.createElement("p");
  p.className = "insp-summary";
  const s = summaryOf(value);
  const shown = valueNumbers(value).length;
  const total = numel(value.shape);
  let text = `${total} numbers · min ${fmt(s.min)} · mean ${fmt(s.mean)} · max ${fmt(s.max)}`;
  if (shown < total) text += ` · showing the first ${shown}`;
  p.textContent = text;
  return p;
}

/** Rows of the last dimension, each row labelled by its leading indices. */
function table(value, isInt) {
  const nums = valueNumbers(value);
  const shape = value.shape.length ? value.shape : [1];
  const cols = shape[shape.length - 1] || 1;
  const wrap = document.createElement("div");
  wrap.className = "insp-table-wrap";
  const t = document.createElement("table");
  t.className = "insp-table";
  const head = document.createElement("tr");
  head.appendChild(document.createElement("th"));
  for (let c = 0; c < cols; c++) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = String(c);
    head.appendChild(th);
  }
  const thead = document.createElement("thead");
  thead.appendChild(head);
  const tbody = document.createElement("tbody");
  for (let k = 0; k < nums.length; k += cols) {
    const tr = document.createElement("tr");
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = shape.length > 1 ? unravel(k, shape).slice(0, -1).join(", ") : "";
    tr.appendChild(th);
    for (let c = 0; c < cols && k + c < nums.length; c++) {
      const td = document.createElement("td");
      const v = nums[k + c];
      td.textContent = fmt(v, isInt);
      if (typeof v === "number" && v < 0) td.className = "neg";
      tr.appendChild(td);
    }
    tbody.appendChild(tr);
  }
  t.append(thead, tbody);
  wrap.appendChild(t);
  return wrap;
}

function unravel(k, shape) {
  if (!shape.length) return [];
  const out = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    out.unshift(k % shape[d]);
    k = Math.floor(k / shape[d]);
  }
  return out;
}
