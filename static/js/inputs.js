// Free variables: one slider and one number field per name the program never assigned.
// Moving either calls onChange(name, value); the caller throttles re-tracing.

export function createInputs(root, { onChange }) {
  const list = root.querySelector("[data-role=list]");
  let names = "";
  const rows = new Map();

  function render(inputs) {
    const entries = Object.entries(inputs || {});
    root.hidden = entries.length === 0;
    const key = entries.map(([k]) => k).join("\u0000");
    if (key !== names) {
      names = key;
      rows.clear();
      list.replaceChildren(...entries.map(([name, v]) => buildRow(name, v)));
      return;
    }
    for (const [name, v] of entries) {
      const r = rows.get(name);
      if (!r) continue;
      if (document.activeElement !== r.num && Number(r.num.value) !== v) r.num.value = fmtInput(v);
      if (document.activeElement !== r.range && Number(r.range.value) !== v) {
        widen(r.range, v);
        r.range.value = String(v);
      }
    }
  }

  function buildRow(name, v) {
    const row = document.createElement("div");
    row.className = "input-row";
    const id = `in-${name}`;
    const label = document.createElement("label");
    label.htmlFor = id;
    label.className = "input-name";
    label.textContent = name;
    const range = document.createElement("input");
    range.type = "range";
    range.id = id;
    range.step = "0.01";
    const lim = Math.max(5, Math.ceil(Math.abs(v) * 2));
    range.min = String(-lim);
    range.max = String(lim);
    range.value = String(v);
    range.dataset.testid = `input-${name}`;
    range.setAttribute("aria-label", `${name} (free variable)`);
    const num = document.createElement("input");
    num.type = "number";
    num.step = "any";
    num.value = fmtInput(v);
    num.dataset.testid = `input-${name}-number`;
    num.setAttribute("aria-label", `${name}, exact value`);
    range.addEventListener("input", () => {
      num.value = fmtInput(Number(range.value));
      onChange(name, Number(range.value));
    });
    num.addEventListener("input", () => {
      const x = Number(num.value);
      if (num.value === "" || !Number.isFinite(x)) return;
      widen(range, x);
      range.value = String(x);
      onChange(name, x);
    });
    rows.set(name, { range, num });
    row.append(label, range, num);
    return row;
  }

  return { render };
}

function widen(range, v) {
  if (v < Number(range.min)) range.min = String(Math.floor(v));
  if (v > Number(range.max)) range.max = String(Math.ceil(v));
}

function fmtInput(v) {
  return String(Math.round(v * 1e6) / 1e6);
}
