/**
 * Pinned device certificates, like SSH's known_hosts: `devices/pins.json` in the data folder maps a
 * normalised device URI to the SHA-256 fingerprint accepted for it at first contact (after the
 * technician compared it with the one the device shows) or taken from a device list.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { DeckhandError } from '../../../core/result';
import { writeFileAtomic } from '../../../core/node-io/atomic-file';

const pinSchema = z.object({
  // TLS: SHA-256 hex (colons optional); SSH host keys: OpenSSH's `SHA256:<base64>`.
  fingerprint: z.string().regex(/^(?:[0-9A-Fa-f:]{64,95}|SHA256:[A-Za-z0-9+/]{43}=?)$/),
  serialNumber: z.string().optional(),
  pinnedAt: z.string(),
});
const pinsSchema = z.object({ format: z.literal(1), pins: z.record(z.string(), pinSchema) });

/** One pin. */
export type DevicePin = z.infer<typeof pinSchema>;

/** The pin store of a data folder. */
export class DevicePins {
  readonly #path: string;

  constructor(dataDir: string) {
    this.#path = join(dataDir, 'devices', 'pins.json');
  }

  /** The pin for a device URI, if any. */
  get(uri: string): DevicePin | undefined {
    return this.#load()[uri];
  }

  /** Pins (or re-pins) a device URI. */
  set(uri: string, pin: DevicePin): void {
    const pins = { ...this.#load(), [uri]: pin };
    writeFileAtomic(this.#path, `${JSON.stringify({ format: 1, pins }, null, 2)}\n`, 0o600);
  }

  /** Forgets a device's pin (the device was removed); false when none was kept. */
  delete(uri: string): boolean {
    const pins = { ...this.#load() };
    if (!(uri in pins)) return false;
    delete pins[uri];
    writeFileAtomic(this.#path, `${JSON.stringify({ format: 1, pins }, null, 2)}\n`, 0o600);
    return true;
  }

  #load(): Record<string, DevicePin> {
    let text: string;
    try {
      text = readFileSync(this.#path, 'utf8');
    } catch {
      return {};
    }
    const parsed = pinsSchema.safeParse(JSON.parse(text));
    if (!parsed.success)
      throw new DeckhandError('invalid_input', `The device pin file ${this.#path} is damaged.`);
    return parsed.data.pins;
  }
}
