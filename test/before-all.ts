// A resource a test file (or describe block) starts once before its tests and closes after them: a
// live world of OS processes, a browser on the fixture controller. The accessor answers the started
// resource; read before it started (or after its beforeAll failed) it throws, naming the resource,
// instead of an undefined that fails later and elsewhere.
import { afterAll, beforeAll } from "vitest";

export function startedBeforeAll<T>(
  what: string,
  start: () => Promise<T>,
  close: (resource: T) => Promise<void>,
  startTimeoutMs?: number,
): () => T {
  let resource: { value: T } | undefined;
  beforeAll(async () => {
    resource = { value: await start() };
  }, startTimeoutMs);
  afterAll(async () => {
    if (resource !== undefined) await close(resource.value);
  });
  return () => {
    if (resource === undefined) throw new Error(`${what} is not started (did beforeAll fail?)`);
    return resource.value;
  };
}
