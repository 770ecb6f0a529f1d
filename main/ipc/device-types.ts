/**
 * The shapes the Devices verbs return: one row per device (added by address or discovered), with
 * what the device said about itself at the last contact. Plain data, free of Node and Electron;
 * contract.ts re-exports them for the renderer.
 */

import type { DeviceScheme } from '../../core/device-uri/device-uri';

/** Where a device row came from. */
export type DeviceSource = 'manual' | 'lan' | 'serial' | 'usb';

/**
 * - `checking`: not contacted yet (just added or discovered).
 * - `unconfirmed`: first contact; the technician must compare the fingerprint and trust it.
 * - `online`: pinned and answering. `offline`: not reachable. `error`: reachable but refused (coded).
 */
export type DeviceState = 'checking' | 'unconfirmed' | 'online' | 'offline' | 'error';

/** A release in an A/B slot. */
export interface DeviceSlotView {
  readonly name: string;
  readonly version: string;
  readonly releaseCounter: number;
}

/** What the USB bus and the table of known devices (resources/usb-devices.json) say about a USB device. */
export interface DeviceUsbView {
  /** Four hex digits each. */
  readonly vendorId: string;
  readonly productId: string;
  readonly manufacturer: string | null;
  readonly product: string | null;
  readonly serialNumber: string | null;
  /** The table's name for it (e.g. "STM32 system bootloader (DfuSe)"). */
  readonly name: string | null;
  /** How Deckhand flashes it; null when another tool must (see advice). */
  readonly protocol: 'dfu' | 'fastboot' | null;
  readonly advice: string | null;
}

/** One device as the Devices screen shows it. */
export interface DeviceView {
  readonly uri: string;
  /** tcp (TLS over the network) or serial. */
  readonly link: DeviceScheme;
  /** Added by hand (kept in the data folder), or reported by a discovery source. */
  readonly source: DeviceSource;
  readonly manual: boolean;
  /** What to show before the device identified itself (mDNS name, port path, the address). */
  readonly label: string;
  readonly state: DeviceState;
  /** Certificate fingerprint seen at the last contact (TLS only). */
  readonly seenFingerprint: string | null;
  /** Fingerprint pinned for this address, if any. */
  readonly pinnedFingerprint: string | null;
  readonly identity: {
    readonly hardware: string;
    readonly serialNumber: string;
    readonly agentVersion: string;
    readonly keyFingerprint: string;
    readonly trustRootPinned: boolean;
  } | null;
  readonly status: {
    readonly booted: 'a' | 'b' | null;
    readonly confirmed: 'a' | 'b' | null;
    readonly pending: 'a' | 'b' | null;
    readonly trial: boolean;
    readonly slots: { readonly a: DeviceSlotView | null; readonly b: DeviceSlotView | null };
    readonly counter: number;
    readonly models: readonly { readonly name: string; readonly version: string }[];
    readonly health: { readonly healthy: boolean; readonly detail: string } | null;
    readonly freeBytes: number;
  } | null;
  /** USB bootloader facts, for devices found on the USB bus (absent otherwise). */
  readonly usb?: DeviceUsbView;
  /**
   * What a device without the Deckhand agent reports installed (releases and models, with
   * active / trial / inactive); absent for agents, whose slots are in `status`.
   */
  readonly installed?: readonly {
    readonly name: string;
    readonly version: string;
    readonly state: 'active' | 'trial' | 'inactive';
  }[];
  /** Last time the device answered (ISO 8601), or null. */
  readonly lastSeen: string | null;
  /** Why the device is offline or in error. */
  readonly error: { readonly code: string; readonly message: string } | null;
}
