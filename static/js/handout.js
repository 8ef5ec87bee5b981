// The handout page's one control: its Print button (an inline onclick would break the CSP).
const button = document.querySelector("[data-testid=handout-print]");
if (button) button.addEventListener("click", () => window.print());
document.body.dataset.state = "ready";
