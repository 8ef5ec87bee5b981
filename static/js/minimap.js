// The overview of a big graph: every drawn box on a small canvas, the visible part as a rectangle.
// Click or drag on it to move the view there. Drawn once per layout (a canvas: no DOM per box);
// only the rectangle moves while panning. Pointer users navigate with it; keyboard users pan with
// Shift+arrows and can hide it ("Hide overview" button), so it is not in the tab order.

const MAX_W = 160;
const MAX_H = 110;

export function createMinimap(host) {
  const box = document.createElement("div");
  box.className = "minimap";
  box.dataset.testid = "minimap";
  box.hidden = true;
  box.setAttribute("aria-hidden", "true");
  const canvas = document.createElement("canvas");
  const view = document.createElement("div");
  view.className = "minimap-view";
  box.append(canvas, view);
  if (host.appendChild) host.appendChild(box);
  let scale = 1;
  let zoom = null;
  let enabled = false;
  let hidden = false;

  function draw(boxes, size) {
    if (!size.width || !size.height) return;
    scale = Math.min(MAX_W / size.width, MAX_H / size.height);
    const w = Math.max(20, Math.round(size.width * scale));
    const h = Math.max(20, Math.round(size.height * scale));
    const dpr = window.devicePixelRatio || 1;
    canvas.width = w * dpr;
    canvas.height = h * dpr;
    canvas.style.width = `${w}px`;
    canvas.style.height = `${h}px`;
    const ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const fills = { group: colour("--mm-group"), frame: colour("--mm-frame"),
      node: colour("--mm-node") };
    for (const b of boxes) {
      ctx.fillStyle = fills[b.kind] || fills.node;
      ctx.fillRect(b.x * scale, b.y * scale, Math.max(1, b.w * scale), Math.max(1, b.h * scale));
    }
    follow();
  }

  /** A CSS colour variable resolved to rgb (canvas cannot parse light-dark()). */
  function colour(name) {
    view.style.color = `var(${name})`;
    const c = getComputedStyle(view).color;
    view.style.color = "";
    return c || "#8a94a3";
  }

  function follow() {
    if (!zoom || box.hidden) return;
    const t = zoom.transform;
    const r = zoom.size;
    const x = (-t.x / t.k) * scale;
    const y = (-t.y / t.k) * scale;
    view.style.transform = `translate(${x.toFixed(1)}px,${y.toFixed(1)}px)`;
    view.style.width = `${((r.width / t.k) * scale).toFixed(1)}px`;
    view.style.height = `${((r.height / t.k) * scale).toFixed(1)}px`;
  }

  function moveTo(ev) {
    if (!zoom || !scale) return;
    const r = canvas.getBoundingClientRect();
    zoom.centerOn((ev.clientX - r.left) / scale, (ev.clientY - r.top) / scale);
  }

  let dragging = false;
  box.addEventListener("pointerdown", (ev) => {
    ev.stopPropagation();
    dragging = true;
    try { box.setPointerCapture(ev.pointerId); } catch { /* synthetic */ }
    moveTo(ev);
  });
  box.addEventListener("pointermove", (ev) => { if (dragging) moveTo(ev); });
  const stop = () => { dragging = false; };
  box.addEventListener("pointerup", stop);
  box.addEventListener("pointercancel", stop);
  box.addEventListener("wheel", (ev) => ev.stopPropagation());

  function sync() {
    box.hidden = !enabled || hidden;
    follow();
  }

  return {
    draw,
    attach(z) { zoom = z; z.onChange(follow); follow(); },
    setEnabled(on) { enabled = on; sync(); },
    setHidden(h) { hidden = h; sync(); },
    get hidden() { return hidden; },
  };
}
