/**
 * Parsing of RAUC's own outputs: `rauc status --detailed --output-format=json` (slots, the booted
 * slot, boot status and what each slot holds) and the percentage lines `rauc install` prints
 * ("  40% Checking bundle done."). Pure; checked against recorded output of rauc 1.8.
 */
import { z } from 'zod';
import { DeckhandError } from '../../../core/result';

/** One slot as RAUC reports it. */
export interface RaucSlot {
  readonly name: string;
  readonly slotClass: string;
  readonly bootname: string | null;
  /** booted, active or inactive (RAUC's runtime state). */
  readonly state: string;
  /** good or bad as the bootloader reports it; null when unknown. */
  readonly bootStatus: string | null;
  readonly bundleCompatible: string | null;
  readonly bundleVersion: string | null;
  /** Hash of the installed bundle, when this RAUC version records it. */
  readonly bundleHash: string | null;
  /** sha256 of the image written into the slot. */
  readonly imageSha256: string | null;
  /** Result of the last installation into the slot ("ok" or an error). */
  readonly installStatus: string | null;
  readonly activatedAt: string | null;
}

/** The whole status. */
export interface RaucStatus {
  readonly compatible: string;
  readonly booted: string | null;
  readonly bootPrimary: string | null;
  readonly slots: readonly RaucSlot[];
}

const slotSchema = z
  .object({
    class: z.string(),
    bootname: z.string().nullish(),
    state: z.string().nullish(),
    boot_status: z.string().nullish(),
    slot_status: z
      .object({
        bundle: z
          .object({
            compatible: z.string().nullish(),
            version: z.string().nullish(),
            hash: z.string().nullish(),
          })
          .passthrough()
          .nullish(),
        checksum: z.object({ sha256: z.string().nullish() }).passthrough().nullish(),
        activated: z.object({ timestamp: z.string().nullish() }).passthrough().nullish(),
        status: z.string().nullish(),
      })
      .passthrough()
      .nullish(),
  })
  .passthrough();

const statusSchema = z
  .object({
    compatible: z.string(),
    booted: z.string().nullish(),
    boot_primary: z.string().nullish(),
    // RAUC prints slots as a list of one-key objects: [{ "rootfs.0": {…} }, …].
    slots: z.array(z.record(z.string(), slotSchema)),
  })
  .passthrough();

/** Parses `rauc status --detailed --output-format=json` (json or json-pretty). */
export function parseRaucStatus(text: string): RaucStatus {
  let json: unknown;
  try {
    // rauc may print GLib warnings before the JSON when stderr and stdout are merged.
    const start = text.indexOf('{');
    json = JSON.parse(start < 0 ? text : text.slice(start));
  } catch {
    throw new DeckhandError('protocol_error', `RAUC's status is not JSON: ${text.trim().slice(0, 200)}`);
  }
  const parsed = statusSchema.safeParse(json);
  if (!parsed.success)
    throw new DeckhandError(
      'protocol_error',
      `RAUC's status has an unexpected shape: ${parsed.error.issues[0]?.message ?? ''}`,
    );
  const slots: RaucSlot[] = [];
  for (const entry of parsed.data.slots) {
    for (const [name, slot] of Object.entries(entry)) {
      const status = slot.slot_status ?? null;
      slots.push({
        name,
        slotClass: slot.class,
        bootname: slot.bootname ?? null,
        state: slot.state ?? 'inactive',
        bootStatus: slot.boot_status ?? null,
        bundleCompatible: status?.bundle?.compatible ?? null,
        bundleVersion: status?.bundle?.version ?? null,
        bundleHash: status?.bundle?.hash ?? null,
        imageSha256: status?.checksum?.sha256 ?? null,
        installStatus: status?.status ?? null,
        activatedAt: status?.activated?.timestamp ?? null,
      });
    }
  }
  slots.sort((a, b) => a.name.localeCompare(b.name));
  return {
    compatible: parsed.data.compatible,
    booted: parsed.data.booted ?? null,
    bootPrimary: parsed.data.boot_primary ?? null,
    slots,
  };
}

/** The slot RAUC booted from (matched by bootname, as `booted` reports it), or null. */
export function bootedSlot(status: RaucStatus): RaucSlot | null {
  return (
    status.slots.find((slot) => slot.state === 'booted') ??
    status.slots.find((slot) => slot.bootname !== null && slot.bootname === status.booted) ??
    null
  );
}

/** Extracts every percentage from a chunk of `rauc install` output, in order. */
export function parseRaucProgress(lines: string): number[] {
  const found: number[] = [];
  for (const match of lines.matchAll(/^\s*(\d{1,3})%\s/gm)) {
    const percent = Number(match[1]);
    if (percent <= 100) found.push(percent);
  }
  return found;
}
