// Paces a virtual world at real time x speed: every slice (a real timer) advances simulated time
// by what the wall clock allows, capped so one slow slice cannot make the next one huge (the
// simulation then falls behind instead of stalling the HTTP server).
export interface PacerOptions {
  readonly speed: number;
  readonly sliceMs: number;
  /** Most simulated µs one slice may advance. */
  readonly sliceSimUsMax: number;
}

export interface Pacer {
  stop(): void;
  /** Simulated µs behind the real-time target (0 when keeping up). */
  readonly lagUs: () => number;
}

export function startPacer(options: PacerOptions, world: { nowUs(): number; runUntil(atUs: number): void }, onError: (error: unknown) => void): Pacer {
  if (!(Number.isFinite(options.speed) && options.speed > 0)) throw new Error(`speed: expected a positive number, got ${options.speed}`);
  const wallStartMs = performance.now();
  const simStartUs = world.nowUs();
  let lag = 0;
  let stopped = false;
  const timer = setInterval(() => {
    if (stopped) return;
    const targetUs = simStartUs + Math.floor((performance.now() - wallStartMs) * 1000 * options.speed);
    const untilUs = Math.min(targetUs, world.nowUs() + options.sliceSimUsMax);
    try {
      if (untilUs > world.nowUs()) world.runUntil(untilUs);
    } catch (error) {
      stopped = true;
      clearInterval(timer);
      onError(error);
      return;
    }
    lag = Math.max(0, targetUs - world.nowUs());
  }, options.sliceMs);
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
    },
    lagUs: () => lag,
  };
}
