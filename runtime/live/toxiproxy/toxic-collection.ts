// A proxy's toxics, one ordered chain per direction, and the live links they run on
// (Toxiproxy's ToxicCollection). Every change to a chain is applied to the existing links at
// once, so a toxic added now affects connections opened before it.
import { invalidStream, invalidToxicType, toxicAlreadyExists, toxicNotFound, badRequestBody } from "./errors.js";
import { expectObject, isJsonObject, lookupField, readField, type JsonValue } from "./go-json.js";
import type { ToxicLink } from "./link.js";
import { directions, parseDirection, type Direction, type Toxic } from "./toxic.js";
import { defaultAttributes, isToxicType, toxicTypeSpecs, type ToxicType } from "./toxics/registry.js";
import type { Attributes } from "./toxics/runner.js";

/** A proxy holds at most this many toxics; Toxiproxy names no limit, ours is generous. */
export const toxicsPerProxyMax = 64;

export class ToxicCollection {
  private readonly chains: Record<Direction, Toxic[]> = { upstream: [], downstream: [] };
  private readonly links = new Set<ToxicLink>();

  list(): Toxic[] {
    return directions.flatMap((direction) => this.chains[direction]);
  }

  chainsSnapshot(): Record<Direction, readonly Toxic[]> {
    return { upstream: [...this.chains.upstream], downstream: [...this.chains.downstream] };
  }

  get(name: string): Toxic | undefined {
    return this.list().find((toxic) => toxic.name === name);
  }

  /** POST /proxies/{proxy}/toxics, checked in Toxiproxy's order: decode, stream, type, duplicate, attributes. */
  add(body: JsonValue): Toxic {
    const object = expectObject(body, "toxics.ToxicWrapper");
    const stream = readField(object, "stream", "string", "ToxicWrapper.stream") ?? "downstream";
    const typeName = readField(object, "type", "string", "ToxicWrapper.type") ?? "";
    const toxicity = readField(object, "toxicity", "float32", "ToxicWrapper.toxicity") ?? 1;
    const nameGiven = readField(object, "name", "string", "ToxicWrapper.name") ?? "";
    const direction = parseDirection(stream);
    if (direction === undefined) throw invalidStream();
    const name = nameGiven === "" ? `${typeName}_${stream}` : nameGiven;
    if (!isToxicType(typeName)) throw invalidToxicType();
    if (this.get(name) !== undefined) throw toxicAlreadyExists();
    const attributes = decodeAttributes(typeName, lookupField(object, "attributes"), defaultAttributes(typeName));
    if (this.list().length >= toxicsPerProxyMax) throw badRequestBody(`a proxy holds at most ${toxicsPerProxyMax} toxics`);
    const toxic: Toxic = { name, type: typeName, stream, direction, toxicity, attributes };
    this.chains[direction].push(toxic);
    for (const link of this.linksOf(direction)) link.addToxic(toxic);
    return toxic;
  }

  /** POST/PATCH /proxies/{proxy}/toxics/{toxic}: only attributes and toxicity change. */
  update(name: string, body: JsonValue): Toxic {
    const current = this.get(name);
    if (current === undefined) throw toxicNotFound();
    const object = expectObject(body, "struct { Attributes interface {}; Toxicity float32 }");
    const attributes = decodeAttributes(current.type, lookupField(object, "attributes"), { ...current.attributes });
    const toxicity = readField(object, "toxicity", "float32", ".toxicity") ?? current.toxicity;
    const updated: Toxic = { ...current, attributes, toxicity };
    const chain = this.chains[current.direction];
    const index = chain.indexOf(current);
    chain[index] = updated;
    for (const link of this.linksOf(current.direction)) link.updateToxic(index, updated);
    return updated;
  }

  remove(name: string): void {
    const toxic = this.get(name);
    if (toxic === undefined) throw toxicNotFound();
    this.removeToxic(toxic);
  }

  reset(): void {
    for (const toxic of this.list().reverse()) this.removeToxic(toxic);
  }

  linkStarted(link: ToxicLink): void {
    this.links.add(link);
  }

  linkFinished(link: ToxicLink): void {
    this.links.delete(link);
  }

  get linkCount(): number {
    return this.links.size;
  }

  private removeToxic(toxic: Toxic): void {
    const chain = this.chains[toxic.direction];
    const index = chain.indexOf(toxic);
    chain.splice(index, 1);
    for (const link of this.linksOf(toxic.direction)) link.removeToxic(index);
  }

  private linksOf(direction: Direction): ToxicLink[] {
    return [...this.links].filter((link) => link.direction === direction);
  }
}

function decodeAttributes(type: ToxicType, value: JsonValue | undefined, into: Attributes): Attributes {
  const spec = toxicTypeSpecs[type];
  if (value === undefined || value === null) return into;
  if (!isJsonObject(value)) {
    const kind = Array.isArray(value) ? "array" : typeof value === "boolean" ? "bool" : typeof value;
    throw badRequestBody(`json: cannot unmarshal ${kind} into Go struct field .attributes of type toxics.${spec.goStruct}`);
  }
  for (const attribute of spec.attributes) {
    const decoded = readField(value, attribute.name, attribute.goType, `${spec.goStruct}.attributes.${attribute.name}`);
    if (decoded !== undefined) into[attribute.name] = decoded;
  }
  return into;
}
