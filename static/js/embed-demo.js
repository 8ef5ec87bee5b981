// The postMessage example: a course page with its own buttons drives a framed chainrule embed
// and lists the events the embed sends back (see docs/embedding.md).
const frame = document.querySelector("[data-role=lesson]");
const log = document.querySelector("[data-role=log]");
const origin = location.origin;   // where the embed is served from; check it on every event

const send = (message) => frame.contentWindow.postMessage({ type: "chainrule", ...message },
  origin);

const COMMANDS = {
  play: () => send({ command: "play" }),
  pause: () => send({ command: "pause" }),
  step: () => send({ command: "step" }),
  back: () => send({ command: "step", by: -1 }),
  goto: () => send({ command: "goto",
    step: Number(document.querySelector("[data-role=goto]").value) }),
  load: () => send({ command: "load", source: "f = (x*y + sin(x))**2", inputs: { x: 0.5, y: 2 } }),
};

for (const b of document.querySelectorAll("[data-command]")) {
  b.addEventListener("click", () => COMMANDS[b.dataset.command]());
}

window.addEventListener("message", (ev) => {
  if (ev.origin !== origin || ev.source !== frame.contentWindow) return;
  const d = ev.data;
  if (!d || d.type !== "chainrule") return;
  if (d.event === "resize") frame.style.height = `${d.height}px`;
  const li = document.createElement("li");
  li.textContent = JSON.stringify(d);
  li.dataset.event = d.event;
  log.prepend(li);
});
