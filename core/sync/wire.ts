/**
 * The sync protocol's wire formats (JSON over HTTPS between laptop and HQ), as zod schemas both sides
 * parse with. Events travel exactly as stored (payload as its canonical JSON text) so HQ recomputes
 * the same hashes the laptop did. See docs/sync.md.
 */
import { z } from 'zod';

/** Most events one batch may carry; the laptop sends fewer. */
export const MAX_BATCH_EVENTS = 10_000;

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const keyId = z.string().regex(/^[0-9a-f]{32}$/);
const base64url = z
  .string()
  .regex(/^[A-Za-z0-9_-]+$/)
  .max(200);
const isoTime = z.string().min(1).max(64);

/** One event as stored in the laptop's log. */
export const wireEventSchema = z.object({
  seq: z.number().int().min(1),
  time: isoTime,
  kind: z.string().min(1).max(100),
  device: z.string().min(1).max(512).nullable(),
  payloadJson: z.string().max(1_000_000),
  prevHash: hex64,
  hash: hex64,
});

export const checkpointSchema = z.object({
  v: z.literal(1),
  technician: keyId,
  size: z.number().int().min(0),
  head: hex64,
  time: isoTime,
});

export const signedCheckpointSchema = z.object({ checkpoint: checkpointSchema, signature: base64url });

export const receiptSchema = z.object({
  v: z.literal(1),
  hq: keyId,
  technician: keyId,
  size: z.number().int().min(0),
  head: hex64,
  time: isoTime,
});

export const signedReceiptSchema = z.object({ receipt: receiptSchema, signature: base64url });

/** POST /v1/batches: a contiguous run of events and a checkpoint at its last event. */
export const batchRequestSchema = z.object({
  technician: keyId,
  events: z.array(wireEventSchema).max(MAX_BATCH_EVENTS),
  checkpoint: signedCheckpointSchema,
});

/** The fields an enrolment request signs (proof that the sender holds the key). */
export const enrolmentClaimSchema = z.object({
  publicKey: base64url,
  technicianName: z.string().trim().min(1).max(200),
  laptopId: z.string().min(1).max(200),
  time: isoTime,
});

/** POST /v1/enrol. */
export const enrolRequestSchema = z.object({
  claim: enrolmentClaimSchema,
  signature: base64url,
  /** Required when HQ runs with --enrol-token. */
  token: z.string().max(500).optional(),
});

/** HQ's public identity: who signs receipts. */
export const hqIdentitySchema = z.object({
  name: z.string(),
  keyId,
  publicKey: base64url,
});

/** Reply to POST /v1/enrol. */
export const enrolResponseSchema = z.object({
  technician: keyId,
  hq: hqIdentitySchema,
});

export type WireEvent = z.infer<typeof wireEventSchema>;
export type BatchRequest = z.infer<typeof batchRequestSchema>;
export type EnrolmentClaim = z.infer<typeof enrolmentClaimSchema>;
export type EnrolRequest = z.infer<typeof enrolRequestSchema>;
export type EnrolResponse = z.infer<typeof enrolResponseSchema>;
export type HqIdentity = z.infer<typeof hqIdentitySchema>;
