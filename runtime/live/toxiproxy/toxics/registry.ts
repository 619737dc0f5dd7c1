// The toxic types Toxiproxy 2.x registers, with their attributes (JSON name, Go type, unit)
// and the Go struct that names them in decode errors. Attributes absent from a create request
// are zero, as in Go.
import { assertNever } from "../go-json.js";
import { BandwidthRunner } from "./bandwidth.js";
import { LatencyRunner } from "./latency.js";
import { LimitDataRunner } from "./limit-data.js";
import { ResetPeerRunner } from "./reset-peer.js";
import { NoopRunner, type Attributes, type RunnerStub, type ToxicRunner } from "./runner.js";
import { SlicerRunner } from "./slicer.js";
import { SlowCloseRunner } from "./slow-close.js";
import { TimeoutRunner } from "./timeout.js";

export const toxicTypes = ["latency", "bandwidth", "slow_close", "timeout", "reset_peer", "slicer", "limit_data", "noop"] as const;
export type ToxicType = (typeof toxicTypes)[number];

export interface AttributeSpec {
  readonly name: string;
  readonly goType: "int64" | "int";
  readonly unit: "ms" | "µs" | "KB/s" | "bytes";
}

export interface ToxicTypeSpec {
  readonly goStruct: string;
  readonly attributes: readonly AttributeSpec[];
}

export const toxicTypeSpecs: Readonly<Record<ToxicType, ToxicTypeSpec>> = {
  latency: {
    goStruct: "LatencyToxic",
    attributes: [
      { name: "latency", goType: "int64", unit: "ms" },
      { name: "jitter", goType: "int64", unit: "ms" },
    ],
  },
  bandwidth: { goStruct: "BandwidthToxic", attributes: [{ name: "rate", goType: "int64", unit: "KB/s" }] },
  slow_close: { goStruct: "SlowCloseToxic", attributes: [{ name: "delay", goType: "int64", unit: "ms" }] },
  timeout: { goStruct: "TimeoutToxic", attributes: [{ name: "timeout", goType: "int64", unit: "ms" }] },
  reset_peer: { goStruct: "ResetToxic", attributes: [{ name: "timeout", goType: "int64", unit: "ms" }] },
  slicer: {
    goStruct: "SlicerToxic",
    attributes: [
      { name: "average_size", goType: "int", unit: "bytes" },
      { name: "size_variation", goType: "int", unit: "bytes" },
      { name: "delay", goType: "int", unit: "µs" },
    ],
  },
  limit_data: { goStruct: "LimitDataToxic", attributes: [{ name: "bytes", goType: "int64", unit: "bytes" }] },
  noop: { goStruct: "NoopToxic", attributes: [] },
};

export function isToxicType(name: string): name is ToxicType {
  return (toxicTypes as readonly string[]).includes(name);
}

export function defaultAttributes(type: ToxicType): Attributes {
  const attributes: Attributes = {};
  for (const spec of toxicTypeSpecs[type].attributes) attributes[spec.name] = 0;
  return attributes;
}

/** Toxics whose removal closes the link they ran on (Toxiproxy's CleanupToxic). */
export function closesLinkOnRemoval(type: ToxicType): boolean {
  return type === "timeout";
}

export function createRunner(type: ToxicType, stub: RunnerStub, attributes: Attributes): ToxicRunner {
  switch (type) {
    case "latency":
      return new LatencyRunner(stub, attributes);
    case "bandwidth":
      return new BandwidthRunner(stub, attributes);
    case "slow_close":
      return new SlowCloseRunner(stub, attributes);
    case "timeout":
      return new TimeoutRunner(stub, attributes);
    case "reset_peer":
      return new ResetPeerRunner(stub, attributes);
    case "slicer":
      return new SlicerRunner(stub, attributes);
    case "limit_data":
      return new LimitDataRunner(stub, attributes);
    case "noop":
      return new NoopRunner(stub);
    default:
      return assertNever(type);
  }
}
