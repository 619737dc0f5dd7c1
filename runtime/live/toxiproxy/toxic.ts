// A toxic as the API sees it: Toxiproxy's ToxicWrapper. `stream` keeps the spelling the client
// sent; `direction` is what it parsed to.
import type { Attributes } from "./toxics/runner.js";
import type { ToxicType } from "./toxics/registry.js";

export type Direction = "upstream" | "downstream";
/** Toxiproxy lists upstream toxics before downstream ones (stream.Upstream is 0). */
export const directions: readonly Direction[] = ["upstream", "downstream"];

export interface Toxic {
  readonly name: string;
  readonly type: ToxicType;
  readonly stream: string;
  readonly direction: Direction;
  readonly toxicity: number;
  readonly attributes: Readonly<Attributes>;
}

export interface ToxicJson {
  name: string;
  type: ToxicType;
  stream: string;
  toxicity: number;
  attributes: Attributes;
}

export function toxicJson(toxic: Toxic): ToxicJson {
  return { name: toxic.name, type: toxic.type, stream: toxic.stream, toxicity: toxic.toxicity, attributes: { ...toxic.attributes } };
}

/** stream.ParseDirection: case-insensitive. */
export function parseDirection(stream: string): Direction | undefined {
  const lowered = stream.toLowerCase();
  return lowered === "upstream" || lowered === "downstream" ? lowered : undefined;
}
