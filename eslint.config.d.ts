// Types for what the tests import from eslint.config.js (test/layers.test.ts).
export declare const LAYERS: Readonly<Record<string, readonly string[]>>;
declare const config: unknown;
export default config;
