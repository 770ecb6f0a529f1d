/**
 * The fastboot wire protocol (AOSP system/core/fastboot/README.md): the host writes one ASCII command
 * per bulk-out transfer (at most 4096 bytes; older bootloaders take 64); the device answers with
 * packets that start with a 4-byte tag: INFO and TEXT (progress, more packets follow), DATA%08x (send
 * that many bytes now), OKAY (done, with an optional value) or FAIL (with the reason).
 */

/** Longest command the protocol allows. */
export const FASTBOOT_MAX_COMMAND = 4096;
/** Largest response packet (the README caps responses at 256 bytes; old devices send 64). */
export const FASTBOOT_MAX_RESPONSE = 256;

/** One decoded response packet. */
export type FastbootResponse =
  | { readonly kind: 'okay'; readonly value: string }
  | { readonly kind: 'fail'; readonly reason: string }
  | { readonly kind: 'data'; readonly size: number }
  | { readonly kind: 'info'; readonly text: string }
  | { readonly kind: 'text'; readonly text: string };

/** Decodes a response packet; null when it is none of the five tags. */
export function parseFastbootResponse(packet: Uint8Array): FastbootResponse | null {
  const text = new TextDecoder('latin1').decode(packet);
  const tag = text.slice(0, 4);
  const rest = text.slice(4);
  switch (tag) {
    case 'OKAY':
      return { kind: 'okay', value: rest };
    case 'FAIL':
      return { kind: 'fail', reason: rest };
    case 'INFO':
      return { kind: 'info', text: rest };
    case 'TEXT':
      return { kind: 'text', text: rest };
    case 'DATA': {
      if (!/^[0-9a-fA-F]{8}$/.test(rest)) return null;
      return { kind: 'data', size: Number.parseInt(rest, 16) };
    }
    default:
      return null;
  }
}

/** Encodes a response packet (device models). */
export function encodeFastbootResponse(response: FastbootResponse): Uint8Array {
  const body = ((): string => {
    switch (response.kind) {
      case 'okay':
        return `OKAY${response.value}`;
      case 'fail':
        return `FAIL${response.reason}`;
      case 'info':
        return `INFO${response.text}`;
      case 'text':
        return `TEXT${response.text}`;
      case 'data':
        return `DATA${response.size.toString(16).padStart(8, '0')}`;
    }
  })();
  return new TextEncoder().encode(body.slice(0, FASTBOOT_MAX_RESPONSE));
}

/** Encodes a command; throws when it is too long or not printable ASCII. */
export function encodeFastbootCommand(command: string): Uint8Array {
  if (command.length > FASTBOOT_MAX_COMMAND || !/^[\x20-\x7e]*$/.test(command))
    throw new Error(`"${command.slice(0, 40)}" is not a valid fastboot command.`);
  return new TextEncoder().encode(command);
}

/** The download command for `size` bytes: "download:%08x". */
export function downloadCommand(size: number): string {
  return `download:${size.toString(16).padStart(8, '0')}`;
}

/**
 * Reads getvar:max-download-size. The README specifies hex with 0x; some bootloaders answer decimal.
 * Null when it is not a positive number.
 */
export function parseMaxDownloadSize(value: string): number | null {
  const text = value.trim();
  const n = /^0x[0-9a-f]+$/i.test(text) ? Number.parseInt(text, 16) : /^\d+$/.test(text) ? Number(text) : NaN;
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

/** A partition name fastboot accepts in flash:/erase: (letters, digits, _ - .). */
export function isFastbootPartition(name: string): boolean {
  return /^[A-Za-z0-9_.-]{1,64}$/.test(name);
}
