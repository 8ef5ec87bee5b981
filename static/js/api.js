// Same-origin requests only: GET /api/examples, the cacheable trace GETs and POST /api/trace.
// A newer trace request aborts the older one, so a stale answer never overwrites a fresh one.
//
// A program a URL names whole — a permalink code, a gallery example — is fetched with GET
// (/api/trace/<code>, /api/examples/<id>/trace), naming the server's build: the answer is
// then immutable, so the browser and any proxy keep it (a class opening one link costs the
// server one trace). An edited program and a slider move are POSTed.

let build = null;   // the server's build (x-chainrule-build on /api/examples), once known

export async function fetchExamples() {
  const r = await fetch("/api/examples", { headers: { accept: "application/json" } });
  if (!r.ok) throw new Error(`examples: HTTP ${r.status}`);
  build = r.headers.get("x-chainrule-build") || build;
  return r.json();
}

/** The GET address of a program named by `{code}` (a permalink) or `{example}` (an id). */
export function cachedTraceUrl(named) {
  const path = named.code !== undefined
    ? `/api/trace/${encodeURIComponent(named.code)}`
    : `/api/examples/${encodeURIComponent(named.example)}/trace`;
  return build ? `${path}?build=${encodeURIComponent(build)}` : path;
}

/** Fetch a program's cacheable GET once and drop the answer: a link being shared is traced
 *  now, so the server (and a proxy in front of it) already holds it when the class opens it. */
export function warmTrace(named) {
  fetch(cachedTraceUrl(named), { headers: { accept: "application/json" } })
    .then((r) => r.arrayBuffer()).catch(() => {});
}

/** A trace client: each call cancels the previous one still in flight.
 *  `named` ({code} or {example}) fetches that program's cacheable GET instead of POSTing.
 *  Resolves to {stale: true} for a superseded call, else {status, body}. */
export function traceClient() {
  let controller = null;
  let counter = 0;
  return async function trace(source, inputs, seed = 0, named = null) {
    if (controller) controller.abort();
    const mine = ++counter;
    controller = new AbortController();
    const payload = { source };
    if (inputs && Object.keys(inputs).length) payload.inputs = inputs;
    if (seed) payload.seed = seed;
    const accept = { accept: "application/json" };
    try {
      const r = named
        ? await fetch(cachedTraceUrl(named), { headers: accept, signal: controller.signal })
        : await fetch("/api/trace", {
          method: "POST",
          headers: { "content-type": "application/json", ...accept },
          body: JSON.stringify(payload),
          signal: controller.signal,
        });
      let body = null;
      try { body = await r.json(); } catch { body = null; }
      if (mine !== counter) return { stale: true };
      return { status: r.status, body };
    } catch (err) {
      if (mine !== counter || (err && err.name === "AbortError")) return { stale: true };
      return { status: 0, body: { error: { kind: "network", message:
        "the server could not be reached — check your connection and run again" } } };
    }
  };
}
