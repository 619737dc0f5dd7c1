// Traffic curves: offered load in operations per second as a function of simulated time.
// "steady" is flat; "double-11" is Alipay's midnight peak (a ramp to 3x, a plateau, a decay);
// "red-packet" is the Spring Festival pattern: short 5x bursts on top of the base load.

export type ProfileName = "steady" | "double-11" | "red-packet";

export interface ProfileOptions {
  readonly profile: ProfileName;
  readonly opsPerSecond: number;
  /** Where the double-11 peak is centred and how long the whole peak lasts. */
  readonly peakAtUs?: number;
  readonly peakDurationUs?: number;
  readonly peakFactor?: number;
  /** red-packet: a burst of `burstDurationUs` every `burstEveryUs`. */
  readonly burstEveryUs?: number;
  readonly burstDurationUs?: number;
  readonly burstFactor?: number;
}

/** Offered load (ops/s) at time `atUs` since the workload started. */
export function rateAt(options: ProfileOptions, atUs: number): number {
  const base = options.opsPerSecond;
  switch (options.profile) {
    case "steady":
      return base;
    case "double-11": {
      const peakAtUs = options.peakAtUs ?? 30_000_000;
      const halfUs = (options.peakDurationUs ?? 20_000_000) / 2;
      const factor = options.peakFactor ?? 3;
      const distanceUs = Math.abs(atUs - peakAtUs);
      if (distanceUs >= halfUs) return base;
      // A plateau over the middle half of the peak, linear ramps either side.
      const plateauUs = halfUs / 2;
      if (distanceUs <= plateauUs) return base * factor;
      return base * (1 + (factor - 1) * (1 - (distanceUs - plateauUs) / (halfUs - plateauUs)));
    }
    case "red-packet": {
      const everyUs = options.burstEveryUs ?? 15_000_000;
      const burstUs = options.burstDurationUs ?? 2_000_000;
      return atUs % everyUs < burstUs ? base * (options.burstFactor ?? 5) : base;
    }
    default: {
      const unreachable: never = options.profile;
      throw new Error(`unknown profile ${String(unreachable)}`);
    }
  }
}

/** The highest rate the profile ever offers (bounds the arrival process's thinning). */
export function rateMax(options: ProfileOptions): number {
  switch (options.profile) {
    case "steady":
      return options.opsPerSecond;
    case "double-11":
      return options.opsPerSecond * (options.peakFactor ?? 3);
    case "red-packet":
      return options.opsPerSecond * (options.burstFactor ?? 5);
    default: {
      const unreachable: never = options.profile;
      throw new Error(`unknown profile ${String(unreachable)}`);
    }
  }
}
