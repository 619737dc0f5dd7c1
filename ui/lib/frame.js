// Redraw throttling. Events can arrive far faster than anyone can read (health every 250 ms,
// traffic every 500 ms, leader/routing/fault bursts during a failover, more at --speed 10), and
// a d3 redraw of every view per event would starve the main thread. Views only mark themselves
// dirty; one requestAnimationFrame callback redraws the dirty views, and never sooner than
// `minIntervalMs` after the previous redraw (a timer waits out the rest of the interval, then
// asks for a frame). Hidden tabs get no frames at all, which is what we want.

/**
 * @param {{ minIntervalMs: number, draw: (dirty: Set<string>) => void, now?: () => number }} options
 * @returns {{ request: (view: string) => void }}
 */
export function createFrameScheduler(options) {
  const now = options.now ?? (() => performance.now());
  /** @type {Set<string>} */
  let dirty = new Set();
  let pending = false;
  let lastDrawMs = -Infinity;

  function frame() {
    const waitMs = lastDrawMs + options.minIntervalMs - now();
    if (waitMs > 0) {
      setTimeout(() => requestAnimationFrame(frame), waitMs);
      return;
    }
    pending = false;
    lastDrawMs = now();
    const views = dirty;
    dirty = new Set();
    options.draw(views);
  }

  return {
    request(view) {
      dirty.add(view);
      if (pending) return;
      pending = true;
      requestAnimationFrame(frame);
    },
  };
}
