// Big graphs: where boxes go when some statement groups are open. A twin of engine/groups.py
// (`arrange`, frame sizes): the server places every node with all groups open, the page runs the
// same rule for the groups the user opened, so a group's members keep their places inside it.

export const FRAME_PAD = 12;
export const FRAME_TITLE = 26;
const MARGIN = 16;

/** Outer size of an expanded group whose members span w × h. */
export function frameSize(w, h) {
  return [w + 2 * FRAME_PAD, h + 2 * FRAME_PAD + FRAME_TITLE];
}

/**
 * New centres when some boxes grow to size.get(id) = [w, h]. A column (one dot rank: one centre x)
 * widens to its widest grown box, the columns right of it move right; boxes below a grown box in
 * its column move down by its extra height. Returns {pos: Map id → [x, y], width, height}.
 */
export function arrange(boxes, size) {
  const columns = new Map();
  for (const b of boxes) {
    const key = Math.round(b.x * 2) / 2;
    if (!columns.has(key)) columns.set(key, []);
    columns.get(key).push(b);
  }
  const pos = new Map();
  let shift = 0;
  let right = 0;
  let bottom = 0;
  for (const key of [...columns.keys()].sort((a, b) => a - b)) {
    const col = columns.get(key).slice().sort((a, b) => a.y - b.y);
    const left = Math.min(...col.map((b) => b.x - b.w / 2));
    const oldW = Math.max(...col.map((b) => b.x + b.w / 2)) - left;
    let newW = oldW;
    let drop = 0;
    for (const b of col) {
      const [w, h] = size.get(b.id) || [b.w, b.h];
      newW = Math.max(newW, w);
      const x = w > b.w ? left + shift + w / 2 : b.x + shift;
      const top = b.y - b.h / 2 + drop;
      pos.set(b.id, [x, top + h / 2]);
      drop += h - b.h;
      right = Math.max(right, x + w / 2);
      bottom = Math.max(bottom, top + h);
    }
    shift += newW - oldW;
  }
  return { pos, width: right + MARGIN, height: bottom + MARGIN };
}

/** An S-shaped cubic from a (a right border) to b (a left border), as route points. */
export function cubic(a, b) {
  const dx = Math.max(24, Math.abs(b[0] - a[0]) / 2);
  return [a, [a[0] + dx, a[1]], [b[0] - dx, b[1]], b];
}
