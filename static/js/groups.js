// Big graphs: where boxes go when some statement groups are open. engine/groups.py decides the
// arrangement (`columns_of`, `arrange`): the trace's collapsed.boxes come column by column, top
// to bottom, collapsed.columns gives each column's box count, collapsed.frame the
// frame metrics. This module keeps no rule or metric of its own: it adds up the growth of the
// boxes the user opened, so a group's members keep their places inside it.

/** Outer size of an expanded group whose members span w × h (frame: collapsed.frame). */
export function frameSize(w, h, frame) {
  return [w + 2 * frame.pad, h + 2 * frame.pad + frame.title];
}

/**
 * New centres when some boxes grow to size.get(id) = [w, h], for the trace's `collapsed`. A
 * column widens to its widest grown box, the columns right of it move right; boxes below a grown
 * box in its column move down by its extra height. Returns {pos: Map id → [x, y], width, height}.
 */
export function arrange(collapsed, size) {
  const { boxes, columns, frame } = collapsed;
  const pos = new Map();
  let shift = 0;
  let right = 0;
  let bottom = 0;
  let k = 0;
  for (const count of columns) {
    const col = boxes.slice(k, k + count);
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
    k += count;
    shift += newW - oldW;
  }
  return { pos, width: right + frame.margin, height: bottom + frame.margin };
}

/** An S-shaped cubic from a (a right border) to b (a left border), as route points; its
 * shortest level run is the server's (collapsed.frame.curve, engine/groups.py cubic). */
export function cubic(a, b, frame) {
  const dx = Math.max(frame.curve, Math.abs(b[0] - a[0]) / 2);
  return [a, [a[0] + dx, a[1]], [b[0] - dx, b[1]], b];
}
