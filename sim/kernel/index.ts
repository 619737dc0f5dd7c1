export * from "./hash.js";
export * from "./random.js";
export * from "./scheduler.js";
export * from "./ports.js";
export * from "./virtual-clock.js";
export * from "./duration.js";
