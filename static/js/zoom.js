// Pan and zoom of the graph's viewport group: mouse wheel, drag, touch pinch (pointer events),
// and a small API the keyboard handler calls (+/-/0, Shift+arrows).
//
// Level of detail: below LOD_BELOW on screen the svg gets the class `lod-far` and the CSS hides
// numbers, small labels and decorations (12 px text is < 5 px there: unreadable, yet each glyph
// costs paint on every pan frame). One class on the root, toggled only when the scale crosses
// the threshold: no per-node work.

const MIN_K = 0.08;
const MAX_K = 6;
const READABLE_BELOW = 0.5;   // a fit this small is unreadable (a wide graph on a phone) …
const READABLE = 0.8;         // … so start at this scale instead, at the graph's inputs
export const LOD_BELOW = 0.45;

export function createZoom(svg, viewport, { reducedMotion = () => false } = {}) {
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
  const listeners = [];

  function apply() {
    viewport.setAttribute("transform", `translate(${t.x.toFixed(2)},${t.y.toFixed(2)}) scale(${t.k.toFixed(4)})`);
    svg.setAttribute("data-zoom", t.k.toFixed(3));
    const nowFar = t.k < LOD_BELOW;
    if (nowFar !== far) {
      far = nowFar;
      svg.classList.toggle("lod-far", far);
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

  /** Fit the whole drawing (width × height in layout px) into the view, at most 1.75×.
   *  readable: when the fit would be tiny, start at READABLE× at the inputs instead (the player
   *  pans to each step's node); the fit button always shows the whole drawing. */
  function fit(size = content, { readable = false } = {}) {
    content = size;
    touched = false;
    shown = null;
    const r = rect();
    if (!r.width || !r.height || !size.width || !size.height) return;
    const pad = Math.min(32, r.width * 0.05);
    let k = Math.max(MIN_K, Math.min(1.75, (r.width - 2 * pad) / size.width,
      (r.height - 2 * pad) / size.height));
    const small = readable && k < READABLE_BELOW;
    if (small) k = READABLE;
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

  /** Pan (never zoom) so `group` (a box in layout px: the step's lit nodes) is in view, else at
   *  least `focus`; nothing moves when it already is. Animated unless reduced motion. */
  function ensureVisible(focus, group = focus, { instant = false } = {}) {
    if (!focus) return;
    shown = { focus, group };
    const r = rect();
    const margin = 16;
    const inView = (b) => {
      const x0 = b.x * t.k + t.x;
      const y0 = b.y * t.k + t.y;
      return x0 >= margin && y0 >= margin && x0 + b.w * t.k <= r.width - margin &&
        y0 + b.h * t.k <= r.height - margin;
    };
    if (inView(group || focus)) return;
    const fits = group && group.w * t.k <= r.width - 2 * margin &&
      group.h * t.k <= r.height - 2 * margin;
    const b = fits ? group : focus;
    moveTo({ ...t, x: r.width / 2 - (b.x + b.w / 2) * t.k, y: r.height / 2 - (b.y + b.h / 2) * t.k },
      instant);
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
      if (keep) ensureVisible(keep.focus, keep.group, { instant: true });
    }).observe(svg);
  }

  apply();
  return { fit, zoomBy, panBy, ensureVisible, setContent, centerOn,
    onChange(fn) { listeners.push(fn); },
    setAnchor(box) { anchor = box; },
    get size() { const r = rect(); return { width: r.width, height: r.height }; },
    get transform() { return { ...t }; } };
}
