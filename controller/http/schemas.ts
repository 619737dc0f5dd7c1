// Request bodies of the mutating routes (zod, strict: an unknown field is a 400 naming it).
import { z } from "zod";
import { stopSchemaShape } from "../../chaos/drill/format.js";

const reason = z.string().max(1000);

export const failoverBodySchema = z.strictObject({
  to: z.string().min(1).max(100),
  reason: reason.optional(),
  force: z.boolean().optional(),
});
export const regionActionBodySchema = z.strictObject({ reason: reason.optional(), force: z.boolean().optional() });
export const drillRunBodySchema = z.strictObject({
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1)
    .optional(),
  reason: reason.optional(),
  force: z.boolean().optional(),
  stop: stopSchemaShape().optional(),
});
/** A rehearsal: exactly one of an action (kind, target and the action route's body) or a built-in drill's name. */
export const rehearsalBodySchema = z
  .strictObject({
    action: z
      .strictObject({
        kind: z.enum(["failover", "evacuate", "restore"], {
          error: (issue) => `expected failover, evacuate or restore, got ${JSON.stringify(issue.input)}`,
        }),
        target: z.string({ error: "expected a cell (failover) or a region (evacuate, restore)" }).min(1).max(100),
        to: z.string().min(1).max(100).optional(),
        reason: reason.optional(),
        force: z.boolean().optional(),
      })
      .optional(),
    drill: z.string().min(1).max(100).optional(),
  })
  .refine((body) => (body.action === undefined) !== (body.drill === undefined), {
    message: "expected exactly one of action or drill",
    path: ["action"],
  });

export const resilienceQuerySchema = z.strictObject({
  windowMs: z.coerce
    .number()
    .int()
    .min(1000)
    .max(366 * 86_400_000)
    .optional(),
});

/** Aborting a drill or pulling the kill switch: the reason is what the audit keeps. */
export const reasonBodySchema = z.strictObject({ reason: z.string().trim().min(1, "a non-empty reason").max(1000) });
/** The chaos module validates the fault itself; here only its outer shape. */
export const faultBodySchema = z.looseObject({ type: z.string().min(1).max(100), reason: reason.optional() });
export const trafficHistoryQuerySchema = z.strictObject({
  windowMs: z.coerce
    .number()
    .int()
    .min(1000)
    .max(15 * 60_000)
    .optional(),
});
export const auditQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  kind: z.enum(["action", "drill", "fault", "refusal", "routing", "schedule", "halt"]).optional(),
});

/** POST /api/v1/shards/move: `shards` a range "first..last" (or one shard), checked by the controller (400 naming the field). */
export const shardMoveBodySchema = z.strictObject({
  shards: z.union([z.string().min(1).max(40), z.number().int().nonnegative()]),
  to: z.string().min(1).max(100),
  reason: z.string().trim().min(1, "a non-empty reason").max(1000),
});
/** POST /api/v1/cells, /cells/{id}/split, DELETE /cells/{id}: a reason is required (audited). */
export const elasticReasonBodySchema = reasonBodySchema;
