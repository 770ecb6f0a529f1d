/**
 * Where device candidates come from besides manual URIs: mDNS on the LAN, serial ports, USB hotplug.
 * Each source is an adapter (main/adapters/discovery/) behind this interface; the devices service
 * merges what they report with the manually added devices. Tests inject fakes.
 */

/** A candidate seen (or gone) on one transport. */
export type DiscoveryEvent =
  | {
      readonly type: 'found';
      /** Device URI the candidate answers on, e.g. tcp://10.0.0.5:7878 or serial:///dev/ttyUSB0. */
      readonly uri: string;
      readonly transport: 'lan' | 'serial' | 'usb';
      /** What to show before the device has been identified (mDNS name, USB product, port path). */
      readonly label: string;
      /** Extra facts the source knows (vendorId, productId, serialNumber, manufacturer, mDNS TXT…). */
      readonly details?: Readonly<Record<string, string>>;
    }
  | { readonly type: 'lost'; readonly uri: string };

/** A running discovery mechanism. */
export interface DiscoverySource {
  /** Short name for logs and the UI ("mDNS", "serial ports", "USB"). */
  readonly name: string;
  /** Starts reporting; returns the function that stops it. */
  start(onEvent: (event: DiscoveryEvent) => void): () => void;
  /** One-shot scan for `deckhand devices --scan`: what is visible within `timeoutMs`. */
  scan(timeoutMs: number): Promise<readonly Extract<DiscoveryEvent, { type: 'found' }>[]>;
}
