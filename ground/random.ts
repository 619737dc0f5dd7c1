import { hashString, mix32 } from "./hash.js";
import { smallIntegerIfExact } from "./small-integer.js";

/**
 * The only source of randomness protocol code may use. Implemented by a seeded PRNG in both
 * runtimes: the live runtime is not "more random", it just runs on a real clock.
 */
export interface Random {
  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number;
  /** Uniform float in [0, 1). */
  nextFloat(): number;
  /** Uniform integer in [minInclusive, maxInclusive]. */
  intBetween(minInclusive: number, maxInclusive: number): number;
  /** true with probability `probability` (0..1). */
  chance(probability: number): boolean;
  pick<T>(items: readonly T[]): T;
  shuffle<T>(items: readonly T[]): T[];
  /**
   * An independent stream named `name`. Its sequence depends only on the root seed and the
   * path of names, never on how many draws any other stream (including this one) has made,
   * so adding a draw in one component does not shift any other component's draws.
   */
  fork(name: string): Random;
  /** The stream's path from the root, for diagnostics ("root/net/cell-1"). */
  readonly path: string;
}

/**
 * xoshiro128** (Blackman & Vigna, 2018), seeded through splitmix32. 128 bits of state,
 * period 2^128 - 1, passes BigCrush; fast with 32-bit integer arithmetic in V8.
 */
export class Xoshiro128 implements Random {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private readonly streamSeed: number;

  constructor(
    seed: number,
    readonly path: string = "root",
  ) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed: expected a safe integer, got ${seed}`);
    // Mix the full 53-bit seed into 32 bits, then expand with splitmix32.
    const low = seed >>> 0;
    const high = Math.floor(seed / 0x1_0000_0000) >>> 0;
    this.streamSeed = mix32(low ^ mix32(high ^ 0x9e3779b9) ^ hashString(path));
    let state = this.streamSeed;
    const next = (): number => {
      state = (state + 0x9e3779b9) >>> 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // all-zero state is a fixed point
    this.rootSeed = seed;
  }

  private readonly rootSeed: number;

  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  nextFloat(): number {
    return this.nextUint32() / 0x1_0000_0000;
  }

  intBetween(minInclusive: number, maxInclusive: number): number {
    if (!Number.isInteger(minInclusive) || !Number.isInteger(maxInclusive) || maxInclusive < minInclusive) {
      throw new RangeError(`intBetween: bad range [${minInclusive}, ${maxInclusive}]`);
    }
    const span = maxInclusive - minInclusive + 1;
    if (span <= 0x1_0000_0000) {
      // Lemire-style rejection to avoid modulo bias.
      const limit = 0x1_0000_0000 - (0x1_0000_0000 % span);
      for (;;) {
        const draw = this.nextUint32();
        if (draw < limit) return smallIntegerIfExact(minInclusive + (draw % span));
      }
    }
    return minInclusive + Math.floor(this.nextFloat() * span);
  }

  chance(probability: number): boolean {
    if (probability <= 0) return false;
    if (probability >= 1) return true;
    return this.nextFloat() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("pick: empty list");
    return items[this.intBetween(0, items.length - 1)] as T;
  }

  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.intBetween(0, i);
      const tmp = out[i] as T;
      out[i] = out[j] as T;
      out[j] = tmp;
    }
    return out;
  }

  fork(name: string): Random {
    return new Xoshiro128(this.rootSeed, `${this.path}/${name}`);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

export function createRandom(seed: number): Random {
  return new Xoshiro128(seed);
}
