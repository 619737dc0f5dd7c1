// Why a request to the controller or the chaos module failed, in the domain's words. The HTTP
// edge (controller/http/status.ts) alone turns a code into a status; nothing below it knows HTTP.
export type DomainErrorCode =
  | "INVALID" // the request is malformed or names a value of the wrong form (a field says which)
  | "NOT_FOUND" // it names a cell, region, fault, drill or schedule that does not exist
  | "CONFLICT" // well-formed, but refused in the current state (a safety rule, a limit, one at a time)
  | "INTERNAL" // the cluster failed to do what was asked (a leadership transfer timed out)
  | "UNAVAILABLE"; // the control group has no quorum: nothing was done (rule control-quorum)
