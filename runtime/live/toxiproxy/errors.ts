// Toxiproxy's ApiError: every failure the HTTP API reports is `{"error": message, "status": code}`
// (api.go). The messages are Toxiproxy's own so that clients matching on them keep working.

export type ApiErrorCode =
  | "BAD_REQUEST_BODY"
  | "MISSING_FIELD"
  | "PROXY_NOT_FOUND"
  | "PROXY_ALREADY_EXISTS"
  | "INVALID_STREAM"
  | "INVALID_TOXIC_TYPE"
  | "TOXIC_ALREADY_EXISTS"
  | "TOXIC_NOT_FOUND"
  | "LISTEN_FAILED"
  | "INTERNAL";

export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }

  toJSON(): { error: string; status: number } {
    return { error: this.message, status: this.status };
  }
}

export const badRequestBody = (detail: string): ApiError => new ApiError("BAD_REQUEST_BODY", `bad request body: ${detail}`, 400);
export const missingField = (field: string): ApiError => new ApiError("MISSING_FIELD", `missing required field: ${field}`, 400);
export const proxyNotFound = (): ApiError => new ApiError("PROXY_NOT_FOUND", "proxy not found", 404);
export const proxyAlreadyExists = (): ApiError => new ApiError("PROXY_ALREADY_EXISTS", "proxy already exists", 409);
export const invalidStream = (): ApiError =>
  new ApiError("INVALID_STREAM", "stream was invalid, can be either upstream or downstream", 400);
export const invalidToxicType = (): ApiError => new ApiError("INVALID_TOXIC_TYPE", "invalid toxic type", 400);
export const toxicAlreadyExists = (): ApiError => new ApiError("TOXIC_ALREADY_EXISTS", "toxic already exists", 409);
export const toxicNotFound = (): ApiError => new ApiError("TOXIC_NOT_FOUND", "toxic not found", 404);
/** Toxiproxy passes the Go net error through unwrapped, which apiError turns into a 500. */
export const listenFailed = (message: string): ApiError => new ApiError("LISTEN_FAILED", message, 500);
