// The embedded Toxiproxy-compatible server (Toxiproxy 2.x HTTP API). Drive it with
// toxiproxy-node-client, exactly as a real Toxiproxy.
export { startToxiproxyServer, defaultToxiproxyHost, defaultToxiproxyPort } from "./server.js";
export type { ToxiproxyServer, ToxiproxyServerOptions } from "./server.js";
export { toxiproxyApiVersion } from "./api.js";
export { toxicTypes, toxicTypeSpecs } from "./toxics/registry.js";
export type { ToxicType } from "./toxics/registry.js";
export { ApiError } from "./errors.js";
export type { ApiErrorCode } from "./errors.js";
