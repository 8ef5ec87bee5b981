// The page's one state object, changed only through set(); subscribers re-render from it.

export function createStore(initial) {
  let state = Object.freeze({ ...initial });
  const subscribers = [];
  return {
    get: () => state,
    /** Merge `patch` into the state and notify every subscriber with (state, previous). */
    set(patch) {
      const prev = state;
      state = Object.freeze({ ...state, ...patch });
      for (const fn of subscribers) fn(state, prev);
    },
    subscribe(fn) { subscribers.push(fn); },
  };
}
