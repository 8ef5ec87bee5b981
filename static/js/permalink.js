// Program state ↔ permalink code: `1.` + base64url(deflate-raw(JSON of short keys)).
// FIELDS is the one table of what a link carries; app/permalink.py mirrors it (the export routes
// and the CLI read the same codes). Version 1 is forever: a new field gets a new key and a
// default, so old links keep opening; a different encoding would get prefix 2.

export const VERSION = "1";
const MAX_JSON_BYTES = 256_000;     // inflating stops here (a hostile link cannot balloon)

const finite = (v) => typeof v === "number" && Number.isFinite(v);
const int = (v, min) => Number.isSafeInteger(v) && v >= min;

export const FIELDS = [
  { key: "s", field: "source", fallback: "", ok: (v) => typeof v === "string" },
  { key: "i", field: "inputs", fallback: {}, ok: (v) => v !== null && typeof v === "object"
    && !Array.isArray(v) && Object.values(v).every(finite) },
  { key: "r", field: "seed", fallback: 0, ok: (v) => int(v, 0) },
  { key: "t", field: "step", fallback: -1, ok: (v) => int(v, -1) },
];

export class PermalinkError extends Error {}

const isDefault = (f, v) => JSON.stringify(v) === JSON.stringify(f.fallback);

/** The code for a state {source, inputs, seed, step}; fields at their defaults are left out. */
export async function encodeState(state) {
  const payload = {};
  for (const f of FIELDS) {
    const v = state[f.field];
    if (v !== undefined && !isDefault(f, v)) payload[f.key] = v;
  }
  const bytes = new TextEncoder().encode(JSON.stringify(payload));
  const packed = await pipe(bytes, new CompressionStream("deflate-raw"), Infinity);
  return `${VERSION}.${toBase64url(packed)}`;
}

/** The state a code carries, every field filled (defaults for missing ones). */
export async function decodeState(code) {
  const dot = String(code).indexOf(".");
  if (dot < 0 || code.slice(0, dot) !== VERSION) {
    throw new PermalinkError(`this link is not a version-${VERSION} chainrule link`);
  }
  let payload;
  try {
    const raw = await pipe(fromBase64url(code.slice(dot + 1)),
      new DecompressionStream("deflate-raw"), MAX_JSON_BYTES);
    payload = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(raw));
  } catch (err) {
    if (err instanceof PermalinkError) throw err;
    throw new PermalinkError("this link is damaged (it may have been cut short when copied)");
  }
  if (payload === null || typeof payload !== "object" || Array.isArray(payload)) {
    throw new PermalinkError("this link is damaged");
  }
  const state = {};
  for (const f of FIELDS) {
    const v = Object.hasOwn(payload, f.key) ? payload[f.key] : f.fallback;
    if (!f.ok(v)) throw new PermalinkError(`this link's ${f.field} is not valid`);
    state[f.field] = v;
  }
  return state;
}

/** The code in a URL's fragment (`#p=…`), or null. */
export function codeFromHash(hash) {
  const m = /^#?p=([0-9A-Za-z._-]+)$/.exec(hash || "");
  return m ? m[1] : null;
}

async function pipe(bytes, stream, limit) {
  const writer = stream.writable.getWriter();
  writer.write(bytes).catch(() => {});
  writer.close().catch(() => {});
  const reader = stream.readable.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      reader.cancel().catch(() => {});
      throw new PermalinkError("this link's program is too large");
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.length; }
  return out;
}

function toBase64url(bytes) {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64url(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
