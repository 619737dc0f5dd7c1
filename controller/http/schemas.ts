// Request bodies of the mutating routes (zod, strict: an unknown field is a 400 naming it).
import { z } from "zod";

const reason = z.string().max(1000);

export const failoverBodySchema = z.strictObject({ to: z.string().min(1).max(100), reason: reason.optional(), force: z.boolean().optional() });
export const regionActionBodySchema = z.strictObject({ reason: reason.optional(), force: z.boolean().optional() });
export const drillRunBodySchema = z.strictObject({ seed: z.number().int().min(0).max(2 ** 32 - 1).optional(), reason: reason.optional(), force: z.boolean().optional() });
/** The chaos module validates the fault itself; here only its outer shape. */
export const faultBodySchema = z.looseObject({ type: z.string().min(1).max(100), reason: reason.optional() });
export const trafficHistoryQuerySchema = z.strictObject({ windowMs: z.coerce.number().int().min(1000).max(15 * 60_000).optional() });
export const auditQuerySchema = z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).optional(), kind: z.enum(["action", "drill", "fault", "refusal", "routing", "schedule"]).optional() });
