// The code editor: a plain textarea over a backdrop that draws line numbers, light syntax
// colouring, the current step's source span and the error marker. All text goes in as text nodes.

const KEYWORDS = new Set(["import", "from", "as", "def", "return", "for", "in", "if", "else",
  "elif", "while", "True", "False", "None", "and", "or", "not", "lambda", "with", "print"]);
const INDENT = "    ";
const LINE_PX = 20;          // app.css .editor line-height
const MIN_LINES = 6;
const MAX_LINES = 22;

export function createEditor(root, { onRun, onInput, readOnly = false } = {}) {
  const area = root.querySelector("textarea");
  const code = root.querySelector(".backdrop code");
  const backdrop = root.querySelector(".backdrop");
  const gutter = root.querySelector(".gutter");
  const errorBox = root.parentElement.querySelector(".editor-error");
  let span = null;        // [line, col, end_line, end_col] of the current step
  let error = null;       // {message, line, col, end_line, end_col}
  let showMessage = true; // the message box under the editor (refused programs)
  let editing = false;    // Tab indents while editing; Esc (or arriving by Tab) lets Tab leave
  let queued = 0;
  if (readOnly) area.readOnly = true;

  function render() {
    queued = 0;
    const text = area.value;
    code.replaceChildren(...runs(text, span, error));
    code.appendChild(document.createTextNode("\n"));  // keep the last line's height
    renderGutter(text);
    sync();
  }

  function schedule() {
    if (!queued) queued = requestAnimationFrame(render);
  }

  function renderGutter(text) {
    const lines = text.split("\n").length;
    // the editor grows with the program, between MIN_LINES and MAX_LINES lines
    const shown = Math.min(MAX_LINES, Math.max(MIN_LINES, lines + 1));
    root.style.height = `${shown * LINE_PX + 22}px`;
    const frag = document.createDocumentFragment();
    const hl = span ? [span[0], span[2] || span[0]] : null;
    for (let n = 1; n <= lines; n++) {
      const d = document.createElement("div");
      d.textContent = String(n);
      if (hl && n >= hl[0] && n <= hl[1]) d.className = "hl";
      if (error && error.line === n) {
        d.className = "err";
        d.setAttribute("title", error.message);
      }
      frag.appendChild(d);
    }
    gutter.replaceChildren(frag);
  }

  function sync() {
    backdrop.scrollTop = area.scrollTop;
    backdrop.scrollLeft = area.scrollLeft;
    gutter.scrollTop = area.scrollTop;
  }

  function renderError() {
    if (!errorBox) return;
    if (!error || !showMessage) {
      errorBox.hidden = true;
      errorBox.replaceChildren();
      return;
    }
    const lines = area.value.split("\n");
    const head = document.createElement("p");
    head.className = "where";
    const loc = document.createElement("strong");
    loc.textContent = error.line ? `Line ${error.line}, column ${error.col || 1}` : "Error";
    head.append(loc, document.createTextNode(`: ${error.message}`));
    errorBox.replaceChildren(head);
    if (error.line && lines[error.line - 1] !== undefined) {
      const pre = document.createElement("pre");
      const src = lines[error.line - 1];
      const col = Math.max(1, error.col || 1);
      const width = Math.max(1, (error.end_line === error.line && error.end_col
        ? error.end_col - col : 1));
      pre.textContent = `${src}\n${" ".repeat(col - 1)}${"^".repeat(Math.min(width, 80))}`;
      errorBox.appendChild(pre);
    }
    errorBox.hidden = false;
  }

  area.addEventListener("input", () => { schedule(); if (onInput) onInput(area.value); });
  area.addEventListener("scroll", sync);
  area.addEventListener("keydown", (ev) => {
    if ((ev.ctrlKey || ev.metaKey) && ev.key === "Enter") {
      ev.preventDefault();
      if (onRun) onRun();
      return;
    }
    if (ev.key === "Escape") { editing = false; return; }
    if (ev.key === "Tab" && editing && !readOnly && !ev.ctrlKey && !ev.altKey && !ev.metaKey) {
      ev.preventDefault();
      if (ev.shiftKey) dedent(); else insert(INDENT);
      return;
    }
    if (ev.key === "Enter" && !readOnly && !ev.shiftKey) {
      const before = area.value.slice(0, area.selectionStart);
      const indent = before.slice(before.lastIndexOf("\n") + 1).match(/^[ \t]*/)[0];
      if (indent) { ev.preventDefault(); insert("\n" + indent); }
    }
    if (!["Tab", "Shift", "Control", "Alt", "Meta"].includes(ev.key)) editing = true;
  });
  // Tab indents only while editing: arriving by Tab and leaving by Tab passes straight through
  // (no keyboard trap); typing or clicking starts editing, Esc stops it.
  area.addEventListener("focus", () => { editing = false; });
  area.addEventListener("pointerdown", () => { editing = true; });

  function insert(text) {
    // execCommand keeps the browser's undo stack; setRangeText is the fallback
    if (!document.execCommand || !document.execCommand("insertText", false, text)) {
      area.setRangeText(text, area.selectionStart, area.selectionEnd, "end");
      area.dispatchEvent(new Event("input"));
    }
  }

  function dedent() {
    const start = area.value.lastIndexOf("\n", area.selectionStart - 1) + 1;
    const lead = area.value.slice(start, start + INDENT.length).match(/^ */)[0].length;
    if (!lead) return;
    area.setSelectionRange(start, start + lead);
    insert("");
  }

  return {
    get value() { return area.value; },
    set value(text) { area.value = text; render(); },
    focus() { area.focus(); },
    /** Highlight the current step's source span (null: none). */
    highlight(next) {
      const same = JSON.stringify(next || null) === JSON.stringify(span);
      if (same) return;
      span = next || null;
      render();
      if (span) revealLine(span[0]);
    },
    /** Mark an error ({message, line, col, end_line, end_col}) or clear it (null). */
    setError(next, withMessage = true) {
      error = next && next.message ? next : null;
      showMessage = withMessage;
      render();
      renderError();
      if (error && error.line) revealLine(error.line);
    },
  };

  function revealLine(line) {
    const lh = parseFloat(getComputedStyle(area).lineHeight) || 20;
    const top = (line - 1) * lh;
    const pad = 8;
    if (top < area.scrollTop) area.scrollTop = Math.max(0, top - pad);
    else if (top + lh > area.scrollTop + area.clientHeight) {
      area.scrollTop = top + lh - area.clientHeight + pad;
    }
    sync();
  }
}

/** Offsets of a [line, col, end_line, end_col] span in `text` (1-based, end exclusive). */
export function spanOffsets(text, s) {
  if (!s || !s[0]) return null;
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") starts.push(i + 1);
  const at = (line, col) => {
    const base = starts[Math.min(Math.max(line, 1), starts.length) - 1];
    const next = line < starts.length ? starts[line] - 1 : text.length;
    return Math.min(base + Math.max(col, 1) - 1, next);
  };
  const a = at(s[0], s[1] || 1);
  let b = s[2] ? at(s[2], s[3] || 1) : a + 1;
  if (b <= a) b = a + 1;
  return [a, Math.min(b, text.length + 1)];
}

/** The backdrop's nodes: token colours, inside one <mark> per step span / error span. */
function runs(text, span, error) {
  const cls = tokenClasses(text);
  const hl = spanOffsets(text, span);
  const er = error && error.line ? spanOffsets(text, [error.line, error.col || 1,
    error.end_line || error.line, error.end_col || (error.col || 1) + 1]) : null;
  const flag = (i) => ((hl && i >= hl[0] && i < hl[1] ? "hl" : "") + " " +
    (er && i >= er[0] && i < er[1] ? "err" : "")).trim();
  const out = [];
  let a = 0;
  while (a < text.length) {
    const f = flag(a);
    let b = a + 1;
    while (b < text.length && flag(b) === f) b++;
    const pieces = tokens(text, cls, a, b);
    if (f) {
      const m = document.createElement("mark");
      m.className = f;
      m.append(...pieces);
      out.push(m);
    } else out.push(...pieces);
    a = b;
  }
  if (er && er[0] >= text.length) {          // an error at the very end of the input
    const m = document.createElement("mark");
    m.className = "err";
    m.textContent = " ";
    out.push(m);
  }
  return out;
}

function tokens(text, cls, a, b) {
  const out = [];
  let s = a;
  for (let i = a + 1; i <= b; i++) {
    if (i === b || cls[i] !== cls[s]) {
      const piece = text.slice(s, i);
      if (cls[s]) {
        const el = document.createElement("span");
        el.className = cls[s];
        el.textContent = piece;
        out.push(el);
      } else out.push(document.createTextNode(piece));
      s = i;
    }
  }
  return out;
}

/** A class per character: comment, string, number, keyword (a tiny Python-ish lexer). */
export function tokenClasses(text) {
  const cls = new Array(text.length).fill("");
  const re = /(#[^\n]*)|("""[\s\S]*?"""|'''[\s\S]*?'''|"(?:\\.|[^"\\\n])*"?|'(?:\\.|[^'\\\n])*'?)|(\b\d+(?:\.\d*)?(?:e[+-]?\d+)?\b|\.\d+\b)|([A-Za-z_][A-Za-z0-9_]*)/g;
  let m;
  while ((m = re.exec(text))) {
    let c = "";
    if (m[1]) c = "tok-com";
    else if (m[2]) c = "tok-str";
    else if (m[3]) c = "tok-num";
    else if (m[4] && KEYWORDS.has(m[4])) c = "tok-kw";
    else if (m[4] && m[4] === "torch") c = "tok-mod";
    if (c) for (let i = m.index; i < m.index + m[0].length; i++) cls[i] = c;
  }
  return cls;
}
