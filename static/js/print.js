// Ctrl+P on the player prints the current step as the screen shows it: the graph's camera is a
// transform sized to the on-screen box, so print (static/css/print.css) keeps that box's size
// and scales it to the paper with `zoom`. This module keeps the box's screen size and that
// scale in CSS variables on the graph (updated on screen only, never in the print layout).
const PRINT_WIDTH_PX = (186 / 25.4) * 96;     // A4's width less 12 mm margins, in CSS px
const PRINT_HEIGHT_PX = (150 / 25.4) * 96;    // the graph's share of the page

const graph = document.querySelector("[data-testid=graph]");
const printing = window.matchMedia("print");

function remember() {
  if (!graph || printing.matches) return;
  const { width, height } = graph.getBoundingClientRect();
  if (!width || !height) return;
  const scale = Math.min(1, PRINT_WIDTH_PX / width, PRINT_HEIGHT_PX / height);
  graph.style.setProperty("--print-w", `${width.toFixed(1)}px`);
  graph.style.setProperty("--print-h", `${height.toFixed(1)}px`);
  graph.style.setProperty("--print-scale", scale.toFixed(4));
}

if (graph) {
  remember();
  if (typeof ResizeObserver !== "undefined") new ResizeObserver(remember).observe(graph);
  window.addEventListener("beforeprint", remember);
}
