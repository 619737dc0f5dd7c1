// All proxies of one server, by name (Toxiproxy's ProxyCollection). Guards name uniqueness and
// implements populate: create-or-replace a whole list, leaving other proxies alone.
import { ApiError, badRequestBody, missingField, proxyAlreadyExists, proxyNotFound } from "./errors.js";
import { jsonKind, readField, isJsonObject, type JsonValue } from "./go-json.js";
import { Proxy } from "./proxy.js";

/** Proxies per server; each holds a listening port. */
export const proxiesMax = 4096;

export interface ProxyInput {
  readonly name: string;
  readonly listen: string;
  readonly upstream: string;
  readonly enabled: boolean;
}

export interface PopulateResult {
  readonly proxies: Proxy[];
  readonly error?: ApiError;
}

export class ProxyCollection {
  private readonly proxies = new Map<string, Proxy>();

  all(): Proxy[] {
    return [...this.proxies.values()];
  }

  get(name: string): Proxy {
    const proxy = this.proxies.get(name);
    if (proxy === undefined) throw proxyNotFound();
    return proxy;
  }

  async add(input: ProxyInput): Promise<Proxy> {
    if (this.proxies.has(input.name)) throw proxyAlreadyExists();
    if (this.proxies.size >= proxiesMax) throw badRequestBody(`a server holds at most ${proxiesMax} proxies`);
    const proxy = new Proxy(input.name, input.listen, input.upstream);
    if (input.enabled) await proxy.start();
    this.proxies.set(proxy.name, proxy);
    return proxy;
  }

  /** Same name, listen and upstream: keep the existing proxy (and its toxics); else replace it. */
  async addOrReplace(input: ProxyInput): Promise<Proxy> {
    const existing = this.proxies.get(input.name);
    if (existing !== undefined) {
      if (existing.listen === input.listen && existing.upstream === input.upstream) return existing;
      existing.stop();
      this.proxies.delete(input.name);
    }
    if (this.proxies.size >= proxiesMax) throw badRequestBody(`a server holds at most ${proxiesMax} proxies`);
    const proxy = new Proxy(input.name, input.listen, input.upstream);
    if (input.enabled) await proxy.start();
    this.proxies.set(proxy.name, proxy);
    return proxy;
  }

  /**
   * POST /populate. The whole list is validated before anything changes; then proxies are
   * created or replaced in order, and the first failure stops the run, reporting the ones done.
   */
  async populate(body: JsonValue): Promise<PopulateResult> {
    const inputs = decodePopulate(body);
    const proxies: Proxy[] = [];
    for (const input of inputs) {
      try {
        proxies.push(await this.addOrReplace(input));
      } catch (error) {
        if (error instanceof ApiError) return { proxies, error };
        throw error;
      }
    }
    return { proxies };
  }

  remove(name: string): void {
    const proxy = this.get(name);
    proxy.stop();
    this.proxies.delete(name);
  }

  clear(): void {
    for (const proxy of this.proxies.values()) proxy.stop();
    this.proxies.clear();
  }
}

/** A proxy in a create request: name and upstream are required, enabled defaults to true. */
export function decodeProxyInput(value: JsonValue, where: string, position?: number): ProxyInput {
  if (value !== null && !isJsonObject(value)) {
    throw badRequestBody(`json: cannot unmarshal ${jsonKind(value)} into Go value of type ${where}`);
  }
  const object = value ?? {};
  const name = readField(object, "name", "string", "Proxy.name") ?? "";
  const listen = readField(object, "listen", "string", "Proxy.listen") ?? "";
  const upstream = readField(object, "upstream", "string", "Proxy.upstream") ?? "";
  const enabled = readField(object, "enabled", "bool", "Proxy.enabled") ?? true;
  const suffix = position === undefined ? "" : ` at proxy ${position}`;
  if (name.length === 0) throw missingField(`name${suffix}`);
  if (upstream.length === 0) throw missingField(`upstream${suffix}`);
  return { name, listen, upstream, enabled };
}

function decodePopulate(body: JsonValue): ProxyInput[] {
  if (body === null) return [];
  if (!Array.isArray(body)) {
    throw badRequestBody(`json: cannot unmarshal ${jsonKind(body)} into Go value of type []toxiproxy.Proxy`);
  }
  return body.map((value, index) => decodeProxyInput(value, "toxiproxy.Proxy", index + 1));
}
