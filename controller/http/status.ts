// The one place a domain error code becomes an HTTP status (docs/API.md lists them per route).
import type { DomainErrorCode } from "../../domain/errors.js";

const HTTP_STATUS_OF: Readonly<Record<DomainErrorCode, number>> = {
  INVALID: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  INTERNAL: 500,
  UNAVAILABLE: 503,
};

export function httpStatusOf(code: DomainErrorCode): number {
  return HTTP_STATUS_OF[code];
}
