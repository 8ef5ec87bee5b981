// Pan and zoom of the graph's viewport group: mouse wheel, drag, touch pinch (pointer events),
// and a small API the keyboard handler calls (+/-/0, Shift+arrows).
//
// Semantic zoom: no text of the graph is ever drawn below MIN_TEXT px on screen. The graph's
// texts are 11 px (shapes, badges, edge labels) and 12 px (names, numbers) in layout units, so
// the svg gets one class per tier and the CSS shows less instead of shrinking it:
//   k ≥ 1          everything
//   lod-small      k < 1: the 11 px texts hide (the lit edge's factor stays: it is 12 px)
//   lod-names      k < 11/12: names only, drawn at MIN_TEXT px on screen (--zk), no numbers
//   lod-far        k < LOD_BELOW: no text but the current step's names (at MIN_TEXT px on
//                  screen), no decorations (each glyph costs paint on every pan frame of a big
//                  graph)
// One class on the root, toggled only when the scale crosses a threshold: no per-node work.
//
// The camera: a drawing that fits at a readable scale is shown whole; a bigger one is shown at
// the reading scale (1, or more in presenter mode) and the camera follows each step's nodes,
// keeping the output in view when it fits beside them (zooming out while the numbers still read),
// zooming out further only when the step's own nodes would not fit. `reservedTop()` is the
// height of the band the zoom buttons cover: the step's nodes go under it when they fit there.

const MIN_K = 0.08;
const MAX_K = 6;
export const MIN_TEXT = 11;
const SMALL_TEXT = 11;        // px in layout units: the smallest text class of the graph
const NAME_TEXT = 12;         // px: names and numbers
export const LOD_BELOW = 0.45;
// the camera zooms out as far as the step's own nodes need (a long edge on a phone: issue 14),
// down to the overview's limit; below LOD_BELOW only the step's names are drawn
const STEP_MIN_K = MIN_K;
// the camera may zoom out this far to keep the output beside the step's nodes
const KEEP_MIN_K = (MIN_TEXT + 0.01) / NAME_TEXT;
// the least room kept around a step's nodes (a lit box's halo: 4 px)
const TIGHT_MARGIN = 4;

export function createZoom(svg, viewport, { reducedMotion = () => false,
  reservedTop = () => 0 } = {}) {
  let t = { x: 0, y: 0, k: 1 };
  let content = { width: 0, height: 0 };
  let touched = false;          // the user moved the view: no automatic refit on resize
  let fitMode = false;
  let anim = 0;
  const pointers = new Map();
  let pinch = null;
  let far = null;
  let anchor = null;        // where a readable (not whole) fit starts: set by the graph
  let shown = null;         // the last box ensureVisible brought into view (the current step)
  let readK = 1;            // the camera's reading scale (presenter mode: larger)
  let autoK = 1;            // the scale the last automatic fit chose
  let tier = null;
  let zk = null;
  const listeners = [];

  function apply() {
    viewport.setAttribute("transform", `translate(${t.x.toFixed(2)},${t.y.toFixed(2)}) scale(${t.k.toFixed(4)})`);
    svg.setAttribute("data-zoom", t.k.toFixed(3));
    const nowFar = t.k < LOD_BELOW;
    if (nowFar !== far) {
      far = nowFar;
      svg.classList.toggle("lod-far", far);
    }
    const nowTier = nowFar ? "far" : t.k * NAME_TEXT < MIN_TEXT ? "names"
      : t.k * SMALL_TEXT < MIN_TEXT ? "small" : "all";
    if (nowTier !== tier) {
      tier = nowTier;
      svg.classList.toggle("lod-small", tier !== "all");
      svg.classList.toggle("lod-names", tier === "names" || tier === "far");
      svg.setAttribute("data-lod", tier);
    }
    // names at MIN_TEXT px on screen: their layout size grows as the view shrinks (rounded up,
    // so a name is never drawn a hair under MIN_TEXT; written only when it changes)
    const nowZk = tier === "names" || tier === "far" ? Math.floor(t.k * 1000) / 1000 : null;
    if (nowZk !== zk) {
      zk = nowZk;
      if (zk === null) svg.style.removeProperty("--zk");
      else svg.style.setProperty("--zk", String(Math.max(zk, 0.01)));
    }
    for (const fn of listeners) fn(t, content);
  }

  /** The drawing changed size (a group opened): keep the view where it is. */
  function setContent(size) {
    content = size;
    apply();
  }

  /** Centre the view on (x, y) in layout px, at the current scale (the overview's clicks). */
  function centerOn(x, y) {
    const r = rect();
    cancelAnimationFrame(anim);
    t = { ...t, x: r.width / 2 - x * t.k, y: r.height / 2 - y * t.k };
    touched = true;
    apply();
  }

  function rect() {
    return svg.getBoundingClientRect();
  }

  function zoomAt(factor, cx, cy) {
    const k = Math.min(MAX_K, Math.max(MIN_K, t.k * factor));
    const f = k / t.k;
    t = { x: cx - (cx - t.x) * f, y: cy - (cy - t.y) * f, k };
    touched = true;
    apply();
  }

  function zoomBy(factor) {
    const r = rect();
    zoomAt(factor, r.width / 2, r.height / 2);
  }

  function panBy(dx, dy) {
    t = { ...t, x: t.x + dx, y: t.y + dy };
    touched = true;
    apply();
  }

  /** Fit the whole drawing (width × height in layout px) into the view, at most 1.75× (the
   *  reading scale × 1.75 in presenter mode). readable: when the fit would put text under
   *  MIN_TEXT, start at the reading scale instead, at the inputs (the player moves the camera
   *  to each step's nodes); the fit button always shows the whole drawing. */
  function fit(size = content, { readable = false } = {}) {
    content = size;
    touched = false;
    shown = null;
    const r = rect();
    if (!r.width || !r.height || !size.width || !size.height) return;
    const pad = Math.min(32, r.width * 0.05);
    let k = Math.max(MIN_K, Math.min(1.75 * readK, (r.width - 2 * pad) / size.width,
      (r.height - 2 * pad) / size.height));
    const small = readable && k < readK;
    if (small) k = readK;
    autoK = readable ? k : autoK;
    cancelAnimationFrame(anim);
    let x = size.width * k <= r.width - 2 * pad ? (r.width - size.width * k) / 2 : pad;
    let y = size.height * k <= r.height - 2 * pad ? (r.height - size.height * k) / 2 : pad;
    if (small && anchor) {   // a big graph's first box, at the left, mid-height
      x = pad - anchor.x * k;
      y = r.height / 2 - (anchor.y + anchor.h / 2) * k;
    }
    t = { k, x, y };
    fitMode = readable;
    apply();
  }

  /** Bring `group` (a box in layout px: the step's nodes) into view, with `keep` (the output)
   *  too when both fit at the scale; zoom out only when the group alone would not fit at the
   *  current scale (and back in, up to the automatic scale, when the user has not zoomed).
   *  Nothing moves when the boxes are already in view. Animated unless reduced motion. */
  function ensureVisible(focus, group = focus, { instant = false, keep = null } = {}) {
    if (!focus) return;
    shown = { focus, group, keep };
    const r = rect();
    if (!r.width || !r.height) return;
    let margin = Math.min(16, r.width * 0.04);
    const want = group || focus;
    const room = (b, m = margin) => Math.min((r.width - 2 * m) / Math.max(b.w, 1),
      (r.height - 2 * m) / Math.max(b.h, 1));
    const base = touched ? t.k : autoK;
    let k = Math.min(base, Math.max(STEP_MIN_K, room(want)));
    // a step's nodes a few px too wide for the numbers' scale: the margin gives way, not the
    // numbers (13_relu_mlp's last step at 1280×800 fit at 0.909 and showed names only)
    if (k < KEEP_MIN_K && base >= KEEP_MIN_K && room(want, TIGHT_MARGIN) >= KEEP_MIN_K) {
      margin = TIGHT_MARGIN;
      k = KEEP_MIN_K;
    }
    let top = margin;       // the top edge the target keeps below (the zoom buttons' band)
    const inView = (b, at) => {
      const x0 = b.x * at.k + at.x;
      const y0 = b.y * at.k + at.y;
      return x0 >= margin - 0.5 && y0 >= top - 0.5 && x0 + b.w * at.k <= r.width - margin + 0.5 &&
        y0 + b.h * at.k <= r.height - margin + 0.5;
    };
    // the output too, when both fit at a scale whose numbers still read (12 px names and
    // numbers ≥ MIN_TEXT on screen; only the 11 px texts hide): else the viewer's marker says
    // where the output is
    const both = keep ? unite(want, keep) : want;
    const kBoth = Math.min(k, room(both));
    const withKeep = keep && kBoth >= Math.min(k, KEEP_MIN_K * Math.max(1, readK));
    const target = withKeep ? both : want;
    if (withKeep) k = kBoth;
    // below the zoom buttons when the target still fits under them at this scale
    const band = reservedTop();
    if (band > margin && target.h * k <= r.height - margin - band) top = band;
    const same = Math.abs(k - t.k) < 1e-3;
    if (same && inView(target, t)) return;
    // the smallest pan that brings the target in, centring it along an axis it is out on
    const x = !same || target.x * k + t.x < margin || (target.x + target.w) * k + t.x > r.width - margin
      ? r.width / 2 - (target.x + target.w / 2) * k : t.x;
    const y = !same || target.y * k + t.y < top || (target.y + target.h) * k + t.y > r.height - margin
      ? (top + r.height - margin) / 2 - (target.y + target.h / 2) * k : t.y;
    moveTo({ k, x, y }, instant);
  }

  function unite(a, b) {
    const x0 = Math.min(a.x, b.x);
    const y0 = Math.min(a.y, b.y);
    return { x: x0, y: y0, w: Math.max(a.x + a.w, b.x + b.w) - x0,
      h: Math.max(a.y + a.h, b.y + b.h) - y0 };
  }

  function moveTo(target, instant = false) {
    cancelAnimationFrame(anim);
    if (instant || reducedMotion()) { t = target; apply(); return; }
    const from = { ...t };
    const start = performance.now();
    const step = (now) => {
      const u = Math.min(1, (now - start) / 240);
      const e = 1 - (1 - u) ** 3;
      t = { k: from.k + (target.k - from.k) * e, x: from.x + (target.x - from.x) * e,
        y: from.y + (target.y - from.y) * e };
      apply();
      if (u < 1) anim = requestAnimationFrame(step);
    };
    anim = requestAnimationFrame(step);
  }

  svg.addEventListener("wheel", (ev) => {
    ev.preventDefault();
    const r = rect();
    const speed = ev.ctrlKey ? 0.01 : 0.0015;            // ctrlKey: trackpad pinch
    const delta = ev.deltaMode === 1 ? ev.deltaY * 16 : ev.deltaY;
    zoomAt(Math.exp(-delta * speed), ev.clientX - r.left, ev.clientY - r.top);
  }, { passive: false });

  svg.addEventListener("pointerdown", (ev) => {
    if (ev.button !== 0 && ev.pointerType === "mouse") return;
    try { svg.setPointerCapture(ev.pointerId); } catch { /* synthetic or already released */ }
    pointers.set(ev.pointerId, { x: ev.clientX, y: ev.clientY });
    svg.classList.add("dragging");
    if (pointers.size === 2) pinch = pinchState();
  });
  svg.addEventListener("pointermove", (ev) => {
    const p = pointers.get(ev.pointerId);
    if (!p) return;
    if (pointers.size === 1) {
      panBy(ev.clientX - p.x, ev.clientY - p.y);
      pointers.set(ev.pointerId, { x: ev.clientX, y: ev.clientY });
      return;
    }
    pointers.set(ev.pointerId, { x: ev.clientX, y: ev.clientY });
    if (pointers.size === 2 && pinch) {
      const now = pinchState();
      const r = rect();
      panBy(now.cx - pinch.cx, now.cy - pinch.cy);
      if (pinch.d > 0) zoomAt(now.d / pinch.d, now.cx - r.left, now.cy - r.top);
      pinch = now;
    }
  });
  const end = (ev) => {
    pointers.delete(ev.pointerId);
    if (pointers.size < 2) pinch = null;
    if (!pointers.size) svg.classList.remove("dragging");
  };
  svg.addEventListener("pointerup", end);
  svg.addEventListener("pointercancel", end);

  function pinchState() {
    const [a, b] = [...pointers.values()];
    return { d: Math.hypot(a.x - b.x, a.y - b.y), cx: (a.x + b.x) / 2, cy: (a.y + b.y) / 2 };
  }

  if (typeof ResizeObserver !== "undefined") {
    // A resize refits the view, then brings the current step back into it: the window, a
    // phone's address bar or the banner above changing height must not lose the step's node.
    new ResizeObserver(() => {
      if (touched) return;
      const keep = shown;
      fit(content, { readable: fitMode });
      if (keep) ensureVisible(keep.focus, keep.group, { instant: true, keep: keep.keep });
    }).observe(svg);
  }

  apply();
  /** The scale the camera reads at (1; presenter mode: larger); refits an untouched view. */
  function setReadingScale(k) {
    if (k === readK) return;
    readK = k;
    const keep = shown;
    fit(content, { readable: true });
    if (keep) ensureVisible(keep.focus, keep.group, { instant: true, keep: keep.keep });
  }

  return { fit, zoomBy, panBy, ensureVisible, setContent, centerOn, setReadingScale,
    onChange(fn) { listeners.push(fn); },
    setAnchor(box) { anchor = box; },
    get size() { const r = rect(); return { width: r.width, height: r.height }; },
    get transform() { return { ...t }; } };
}
