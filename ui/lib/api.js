// The controller's HTTP API (docs/API.md). Reads are open; mutating requests carry the bearer
// token, which the operator enters once and which lives in sessionStorage (gone with the tab).
// A 401 clears the token and asks again, then retries the request once.

const TOKEN_KEY = "ldc.apiToken";

/** An API error with the HTTP status and, for a safety refusal (409), the rule id. */
export class ApiError extends Error {
  /** @param {number} status @param {string} message @param {string | undefined} rule @param {string | undefined} field */
  constructor(status, message, rule, field) {
    super(message);
    this.status = status;
    this.rule = rule;
    this.field = field;
    this.code = status === 409 ? "REFUSED" : status === 401 ? "UNAUTHORIZED" : status === 400 ? "BAD_INPUT" : "HTTP_ERROR";
  }
}

/** @returns {string | null} */
export function getToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

/** @param {string | null} token */
export function setToken(token) {
  if (token === null || token === "") sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, token);
}

/** @type {(message: string) => Promise<boolean>} */
let askForToken = async () => false;

/** The page installs its token prompt here; it resolves true once a token is saved. */
export function setTokenPrompt(/** @type {(message: string) => Promise<boolean>} */ prompt) {
  askForToken = prompt;
}

/** @param {string} path @returns {Promise<any>} */
export async function getJson(path) {
  const response = await fetch(path, { headers: { Accept: "application/json" } });
  return parseResponse(response);
}

/**
 * @param {"POST" | "PUT" | "DELETE"} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<any>}
 */
export async function mutate(method, path, body) {
  if (getToken() === null && !(await askForToken("Actions need the controller's API token."))) {
    throw new ApiError(401, "no API token entered", undefined, undefined);
  }
  let response = await send(method, path, body);
  if (response.status === 401) {
    setToken(null);
    if (!(await askForToken("The controller rejected the token; enter it again."))) {
      throw new ApiError(401, "missing or invalid bearer token", undefined, undefined);
    }
    response = await send(method, path, body);
  }
  return parseResponse(response);
}

/** @param {string} method @param {string} path @param {unknown} body */
function send(method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { Accept: "application/json", Authorization: `Bearer ${getToken() ?? ""}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  return fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

/** @param {Response} response */
async function parseResponse(response) {
  const text = await response.text();
  /** @type {any} */
  let data = null;
  if (text !== "") {
    try {
      data = JSON.parse(text);
    } catch {
      data = { error: text.slice(0, 200) };
    }
  }
  if (!response.ok) {
    const message = data && typeof data.error === "string" ? data.error : `HTTP ${response.status}`;
    throw new ApiError(response.status, message, data?.rule, data?.field);
  }
  return data;
}
