// Server-made MathML → DOM, keeping only MathML elements and presentation attributes.
// The string is parsed in an inert document and copied node by node into fresh MathML elements,
// so nothing else (scripts, handlers, links, styles, foreign HTML/SVG) can come through.

const MATHML_NS = "http://www.w3.org/1998/Math/MathML";
const ELEMENTS = new Set(["math", "mrow", "mi", "mn", "mo", "mtext", "mspace", "ms", "mfrac",
  "msqrt", "mroot", "msup", "msub", "msubsup", "munder", "mover", "munderover", "mstyle",
  "mpadded", "mphantom", "menclose", "mtable", "mtr", "mtd", "mfenced", "semantics",
  "mmultiscripts", "mprescripts", "none"]);
const ATTRIBUTES = new Set(["display", "displaystyle", "scriptlevel", "mathvariant", "stretchy",
  "fence", "separator", "lspace", "rspace", "width", "height", "depth", "accent", "accentunder",
  "linethickness", "columnalign", "rowalign", "columnspacing", "rowspacing", "form", "largeop",
  "movablelimits", "symmetric", "minsize", "maxsize", "notation", "open", "close",
  "separators", "voffset", "bevelled", "align"]);

/** A sanitised <math> element, or null when the string holds none. */
export function mathFromString(markup) {
  if (typeof markup !== "string" || !markup) return null;
  // Handler attributes are removed before parsing too, so even the inert document never
  // compiles one (the copy below keeps listed attributes only, whatever slips past this).
  const text = markup.replace(/[\s/]on[a-z]+\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)/gi, " ");
  const doc = new DOMParser().parseFromString(text, "text/html");
  const src = doc.body.querySelector("math");
  return src ? copy(src) : null;
}

function copy(node) {
  if (node.nodeType === Node.TEXT_NODE) return document.createTextNode(node.nodeValue);
  if (node.nodeType !== Node.ELEMENT_NODE) return null;
  const tag = node.localName;
  if (node.namespaceURI !== MATHML_NS || !ELEMENTS.has(tag)) return null;   // dropped whole
  if (tag === "mover" && isBar(node.children[1])) {
    // \bar{…}: fonts rarely stretch a macron, so draw the bar with CSS over the whole base
    const out = document.createElementNS(MATHML_NS, "mrow");
    out.setAttribute("class", "overbar");
    const base = node.children[0] ? copy(node.children[0]) : null;
    if (base) out.appendChild(base);
    return out;
  }
  const out = document.createElementNS(MATHML_NS, tag);
  for (const a of node.attributes) {
    const name = a.name.toLowerCase();
    if (ATTRIBUTES.has(name) && !/[<>]|url\(|javascript:/i.test(a.value)) {
      out.setAttribute(name, a.value);
    }
  }
  for (const child of node.childNodes) {
    const c = copy(child);
    if (c) out.appendChild(c);
  }
  return out;
}

function isBar(el) {
  return !!el && el.localName === "mo" && ["\u00AF", "\u203E", "\u2015", "_"].includes(
    (el.textContent || "").trim());
}

/** A formula's MathML: the trace's `math` pieces at the indices the formula lists, a string
 *  in the list being a decimal number's <mn> (the compact form, engine/formula_table.py), or
 *  the string itself in the older form. */
export function mathmlOf(formula, pieces) {
  if (!formula) return "";
  const m = formula.mathml;
  if (typeof m === "string") return m;
  if (!Array.isArray(m) || !Array.isArray(pieces)) return "";
  return m.map((k) => (typeof k === "string" ? `<mn>${escapeText(k)}</mn>`
    : Number.isInteger(k) && pieces[k] !== undefined ? pieces[k] : "")).join("");
}

function escapeText(text) {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
