// Ctrl+P on the player prints the current step as the screen shows it: the graph's camera is a
// transform sized to the on-screen box, so print (static/css/print.css) keeps that box's size
// and scales it to the paper with `zoom`. keepPrintSize keeps the box's screen size and that
// scale in CSS variables on the graph (updated on screen only, never in the print layout).
// viewer.js calls it, so the page, the embed and the standalone export (which has no other
// script) all print a wide graph scaled to the page rather than cut at its edge.
const PRINT_WIDTH_PX = (186 / 25.4) * 96;     // A4's width less 12 mm margins, in CSS px
const PRINT_HEIGHT_PX = (150 / 25.4) * 96;    // the graph's share of the page

export function keepPrintSize(graph) {
  if (!graph) return;
  const printing = window.matchMedia("print");
  const remember = () => {
    if (printing.matches) return;
    const { width, height } = graph.getBoundingClientRect();
    if (!width || !height) return;
    const scale = Math.min(1, PRINT_WIDTH_PX / width, PRINT_HEIGHT_PX / height);
    graph.style.setProperty("--print-w", `${width.toFixed(1)}px`);
    graph.style.setProperty("--print-h", `${height.toFixed(1)}px`);
    graph.style.setProperty("--print-scale", scale.toFixed(4));
  };
  remember();
  if (typeof ResizeObserver !== "undefined") new ResizeObserver(remember).observe(graph);
  window.addEventListener("beforeprint", remember);
}
