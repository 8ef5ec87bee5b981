// Helpers for reading trace Values. Every text the graph and the caption show comes with the
// trace (engine/display.py): no painter formats a number. `fmt` is left for the inspector alone,
// which lists every number of a big tensor (the trace carries those as numbers, not texts); a
// browser test holds it to the server's formatter.

/** One number as Python's f"{x:.4g}" writes it: 4, 0.25, -1.333, 1.234e+04, nan, inf. */
export function fmt(x, isInt = false) {
  if (x === null || x === undefined) return "—";
  if (typeof x === "string") return x;            // "nan", "inf", "-inf" travel as strings
  if (typeof x === "boolean") return x ? "1" : "0";
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (isInt) return String(Math.round(x));
  if (x === 0) return "0";
  const [mant, expText] = roundTo4(x).split("e");
  const exp = Number(expText);
  if (exp < -4 || exp >= 4) {
    const m = stripZeros(mant);
    const sign = exp < 0 ? "-" : "+";
    return `${m}e${sign}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  const text = stripZeros(Number(`${mant}e${exp}`).toFixed(Math.max(0, 3 - exp)));
  return text === "-0" ? "0" : text;
}

// x.toExponential(3), but exact ties round half to even, as Python does (12345 → 1.234e+4).
function roundTo4(x) {
  const exact = Math.abs(x).toExponential(29);          // a double's digits are exact this far
  const [digits, expText] = exact.split("e");
  const tail = digits.slice(5);                            // digits after the 4th significant one
  if (!/^50*$/.test(tail)) return x.toExponential(3);
  const kept = digits.slice(0, 5);                         // d.ddd
  if (Number(kept[4]) % 2 === 1) return x.toExponential(3); // odd: JS rounds up, as Python does
  return (x < 0 ? "-" : "") + kept + "e" + expText;        // even: keep
}

function stripZeros(text) {
  return text.includes(".") ? text.replace(/0+$/, "").replace(/\.$/, "") : text;
}

/** (2, 3) — (5,) — () as PyTorch prints shapes; the same as engine/node_size.py `shape_text`. */
export function shapeText(shape) {
  return "(" + shape.join(", ") + (shape.length === 1 ? "," : "") + ")";
}

export function numel(shape) {
  return shape.reduce((a, b) => a * b, 1);
}

/** Every number of a nested list, row-major. */
export function flatten(data) {
  if (!Array.isArray(data)) return [data];
  const out = [];
  const walk = (d) => { for (const v of d) Array.isArray(v) ? walk(v) : out.push(v); };
  walk(data);
  return out;
}

/** The numbers a Value can show: all of them when small, else the preview (first elements). */
export function valueNumbers(value) {
  if (!value) return [];
  if (value.data !== null && value.data !== undefined) return flatten(value.data);
  return value.preview ? value.preview.slice() : [];
}

/** A Value's {numel, min, max, mean}: its `summary`, or for a one-number Value (sent without
 *  one) that number three times, the mean as NumPy gives it (-0 + 0 is 0). */
export function summaryOf(value) {
  if (!value) return {};
  if (value.summary) return value.summary;
  const nums = valueNumbers(value);
  if (nums.length !== 1) return {};
  const x = nums[0];
  return { numel: 1, min: x, max: x, mean: typeof x === "number" ? x + 0 : x };
}
