// Request bodies of the mutating routes (zod, strict: an unknown field is a 400 naming it).
import { z } from "zod";
import { stopSchemaShape } from "../../chaos/drill/format.js";

const reason = z.string().max(1000);

export const failoverBodySchema = z.strictObject({ to: z.string().min(1).max(100), reason: reason.optional(), force: z.boolean().optional() });
export const regionActionBodySchema = z.strictObject({ reason: reason.optional(), force: z.boolean().optional() });
export const drillRunBodySchema = z.strictObject({ seed: z.number().int().min(0).max(2 ** 32 - 1).optional(), reason: reason.optional(), force: z.boolean().optional(), stop: stopSchemaShape().optional() });
/** Aborting a drill or pulling the kill switch: the reason is what the audit keeps. */
export const reasonBodySchema = z.strictObject({ reason: z.string().trim().min(1, "a non-empty reason").max(1000) });
/** The chaos module validates the fault itself; here only its outer shape. */
export const faultBodySchema = z.looseObject({ type: z.string().min(1).max(100) });
export const auditQuerySchema = z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).optional(), kind: z.enum(["action", "drill", "fault", "refusal", "routing", "schedule", "halt"]).optional() });
