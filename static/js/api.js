// Same-origin requests only: GET /api/examples and POST /api/trace.
// A newer trace request aborts the older one, so a stale answer never overwrites a fresh one.

export async function fetchExamples() {
  const r = await fetch("/api/examples", { headers: { accept: "application/json" } });
  if (!r.ok) throw new Error(`examples: HTTP ${r.status}`);
  return r.json();
}

/** A trace client: each call cancels the previous one still in flight.
 *  Resolves to {stale: true} for a superseded call, else {status, body}. */
export function traceClient() {
  let controller = null;
  let counter = 0;
  return async function trace(source, inputs, seed = 0) {
    if (controller) controller.abort();
    const mine = ++counter;
    controller = new AbortController();
    const payload = { source };
    if (inputs && Object.keys(inputs).length) payload.inputs = inputs;
    if (seed) payload.seed = seed;
    try {
      const r = await fetch("/api/trace", {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
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
