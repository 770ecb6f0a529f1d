/**
 * The trip-home file (`.dhlog`): the deploy log exported for carrying to HQ. JSON lines, so a log of
 * any size is written and read as a stream:
 *
 *   {"format":"deckhand-log","v":1,"technician":{…},"exportedAt":"…"}    header
 *   {"seq":1,"time":"…","kind":"…","device":…,"payloadJson":"…","prevHash":"…","hash":"…"}  × size
 *   {"checkpoint":{"checkpoint":{…},"signature":"…"}}                    trailer: signed checkpoint
 *
 * Events are the wire events of a batch; the trailer's checkpoint commits to all of them.
 */
import { z } from 'zod';
import type { SignedCheckpoint } from './checkpoint';
import { signedCheckpointSchema, wireEventSchema, type WireEvent } from './wire';

/** The header's format marker. */
export const DHLOG_FORMAT = 'deckhand-log';

/** Who exported the file. */
export const dhlogTechnicianSchema = z.object({
  keyId: z.string().regex(/^[0-9a-f]{32}$/),
  publicKey: z.string().regex(/^[A-Za-z0-9_-]+$/),
  name: z.string().max(200),
  laptopId: z.string().max(200),
});

const headerSchema = z.object({
  format: z.literal(DHLOG_FORMAT),
  v: z.literal(1),
  technician: dhlogTechnicianSchema,
  exportedAt: z.string(),
});

const trailerSchema = z.object({ checkpoint: signedCheckpointSchema });

export type DhlogTechnician = z.infer<typeof dhlogTechnicianSchema>;
export type DhlogHeader = z.infer<typeof headerSchema>;

/** One parsed line. */
export type DhlogLine =
  | { readonly type: 'header'; readonly header: DhlogHeader }
  | { readonly type: 'event'; readonly event: WireEvent }
  | { readonly type: 'checkpoint'; readonly checkpoint: SignedCheckpoint };

/** The header line (with its newline). */
export function dhlogHeaderLine(technician: DhlogTechnician, exportedAt: string): string {
  return `${JSON.stringify({ format: DHLOG_FORMAT, v: 1, technician, exportedAt })}\n`;
}

/** One event line (with its newline). */
export function dhlogEventLine(event: WireEvent): string {
  return `${JSON.stringify(event)}\n`;
}

/** The trailer line (with its newline). */
export function dhlogCheckpointLine(checkpoint: SignedCheckpoint): string {
  return `${JSON.stringify({ checkpoint })}\n`;
}

/** Parses one line; null when it is not a valid line of the given position. */
export function parseDhlogLine(line: string, first: boolean): DhlogLine | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (first) {
    const header = headerSchema.safeParse(value);
    return header.success ? { type: 'header', header: header.data } : null;
  }
  const event = wireEventSchema.safeParse(value);
  if (event.success) return { type: 'event', event: event.data };
  const trailer = trailerSchema.safeParse(value);
  return trailer.success ? { type: 'checkpoint', checkpoint: trailer.data.checkpoint } : null;
}
