// Paces the virtual runtime at real time x speed. The simulation runs on the same event loop as the
// HTTP server and the WebSocket stream, so each slice gets a wall-time work budget: it advances
// simulated time in small steps until it reaches the real-time target or spends
// `sliceWorkMsMax`, then yields so pending I/O is served. On a machine too slow for the requested
// speed the simulation falls behind (reported by `lagUs`) instead of starving the API.
export interface PacerOptions {
  readonly speed: number;
  /** Wall ms between slices (the idle gap in which I/O is served when the simulation keeps up). */
  readonly sliceMs: number;
  /** Most simulated µs one slice may advance. */
  readonly sliceSimUsMax: number;
  /** Simulated µs per step inside a slice: the granularity at which the work budget is checked. */
  readonly stepSimUs?: number;
  /** Wall ms of simulation work per slice before yielding to I/O. */
  readonly sliceWorkMsMax?: number;
}

/**
 * Lag cap, in wall ms: further behind than this the target is re-based (the operator watches now,
 * not a replay), so `lagUs` never reports more than LAG_WALL_MS_MAX x speed, even after one step
 * blocked the loop for longer (a GC pause, a drill's checks).
 */
export const LAG_WALL_MS_MAX = 5_000;
export const stepSimUsDefault = 2_000;
export const sliceWorkMsMaxDefault = 15;

export interface Pacer {
  stop(): void;
  /** Simulated µs behind the real-time target (0 when keeping up). */
  readonly lagUs: () => number;
  /** Wall ms spent simulating vs. elapsed since start: how much of the loop the simulation takes. */
  readonly stats: () => {
    readonly slices: number;
    readonly workMs: number;
    readonly elapsedMs: number;
    readonly sliceWorkMsMaxSeen: number;
    readonly rebases: number;
  };
}

export interface PacedRuntime {
  nowUs(): number;
  runUntil(atUs: number): void;
}

/** Wall time in ms (performance.now); tests inject one that jumps. */
export type WallClockMs = () => number;

export function startPacer(
  given: PacerOptions,
  runtime: PacedRuntime,
  onError: (error: unknown) => void,
  wallNowMs: WallClockMs = () => performance.now(),
): Pacer {
  const options = { stepSimUs: stepSimUsDefault, sliceWorkMsMax: sliceWorkMsMaxDefault, ...given };
  if (!(Number.isFinite(options.speed) && options.speed > 0)) throw new Error(`speed: expected a positive number, got ${options.speed}`);
  if (!(options.stepSimUs > 0 && options.sliceWorkMsMax > 0 && options.sliceSimUsMax >= options.stepSimUs))
    throw new Error("pacer: stepSimUs, sliceWorkMsMax must be positive and sliceSimUsMax >= stepSimUs");
  const wallStartMs = wallNowMs();
  let simTargetBaseUs = runtime.nowUs();
  let wallBaseMs = wallStartMs;
  let lag = 0;
  let stopped = false;
  let slices = 0;
  let workMs = 0;
  let sliceWorkMsMaxSeen = 0;
  let rebases = 0;
  let timer: NodeJS.Timeout | null = null;
  const slice = (): void => {
    timer = null;
    if (stopped) return;
    const sliceStartMs = wallNowMs();
    const targetUs = simTargetBaseUs + Math.floor((sliceStartMs - wallBaseMs) * 1000 * options.speed);
    const untilUs = Math.min(targetUs, runtime.nowUs() + options.sliceSimUsMax);
    try {
      while (runtime.nowUs() < untilUs && wallNowMs() - sliceStartMs < options.sliceWorkMsMax) {
        runtime.runUntil(Math.min(untilUs, runtime.nowUs() + options.stepSimUs));
      }
    } catch (error) {
      stopped = true;
      onError(error);
      return;
    }
    const spentMs = wallNowMs() - sliceStartMs;
    slices++;
    workMs += spentMs;
    sliceWorkMsMaxSeen = Math.max(sliceWorkMsMaxSeen, spentMs);
    lag = Math.max(0, targetUs - runtime.nowUs());
    // Lagging further than a few seconds of wall time is not worth catching up on in a burst
    // (the operator watches now, not a replay): re-base the target so lag stays bounded, and
    // report the lag as it is after re-basing (it was reported before it, up to a whole blocked
    // step above the cap: 9-12.7 s seen against a 5 s cap).
    const lagUsMax = LAG_WALL_MS_MAX * 1000 * options.speed;
    if (lag > lagUsMax) {
      simTargetBaseUs = runtime.nowUs() + lagUsMax;
      wallBaseMs = wallNowMs();
      lag = lagUsMax;
      rebases++;
    }
    // Behind: yield only to I/O (setImmediate runs after the poll phase); keeping up: idle a slice.
    if (runtime.nowUs() < targetUs) setImmediate(slice);
    else timer = setTimeout(slice, options.sliceMs);
  };
  timer = setTimeout(slice, options.sliceMs);
  return {
    stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
    },
    lagUs: () => lag,
    stats: () => ({ slices, workMs, elapsedMs: wallNowMs() - wallStartMs, sliceWorkMsMaxSeen, rebases }),
  };
}
