/**
 * The Devices use cases: the device list (manual URIs kept in the data folder ∪ candidates from the
 * injected discovery sources), contact with each agent (identity and slot status), and first-contact
 * trust. A TLS device is never trusted silently: the first contact only learns its certificate
 * fingerprint and marks the device `unconfirmed` until the technician confirms the fingerprint
 * ('devices.confirmFingerprint'), which pins it (device-pins.ts). A device that later presents
 * another certificate is refused (`untrusted_device`) until the technician trusts the new one.
 *
 * Refresh runs on demand and, while a host watches (`watch()`), periodically; timers are unref'ed so
 * a CLI process never stays alive for them.
 */
import { createHash } from 'node:crypto';
import {
  isAgentUri,
  parseAgentUri,
  parseDeviceUri,
  type AgentUri,
  type DeviceUri,
} from '../../../core/device-uri/device-uri';
import type { DeviceIdentity, DeviceStatus } from '../../../core/protocol/messages';
import { DeckhandError, toErrorData } from '../../../core/result';
import type { AgentClient } from '../../adapters/agent-client/agent-client';
import { connectAgent, type ConnectOptions } from '../../adapters/agent-client/agent-connection';
import type { DeviceStore } from '../../db/device-store';
import type { DeviceSource, DeviceView } from '../../ipc/device-types';
import type { EventBus } from '../event-bus';
import type { LogsService } from '../logs-service';
import type { DevicePins } from './device-pins';
import type { DiscoveryEvent, DiscoverySource } from './discovery-source';
import type { DeviceConnector, DeviceSession } from '../deploy/device-session';
import { usbDeviceView } from './usb-device-view';

/** Default period of the background refresh. */
export const DEVICE_REFRESH_MS = 10_000;

/** What the service needs. */
export interface DevicesServiceDeps {
  readonly store: DeviceStore;
  readonly pins: DevicePins;
  readonly logs: LogsService;
  readonly events: EventBus;
  readonly sources?: readonly DiscoverySource[];
  readonly clock?: () => Date;
  readonly clientVersion?: string;
  /** Per-contact timeout (default 5 s). */
  readonly timeoutMs?: number;
  /** Replaces connectAgent (tests). */
  readonly connect?: (uri: AgentUri, options: ConnectOptions) => Promise<AgentClient>;
  /**
   * Adapters for devices that are not Deckhand agents (ssh://, swupdate://, smp+…://): contacted
   * through their deploy-engine session (identity and what is installed).
   */
  readonly connectors?: readonly DeviceConnector[];
}

/** Schemes whose host key or certificate must be confirmed by the technician before use. */
const PINNED_SCHEMES: ReadonlySet<DeviceUri['scheme']> = new Set(['tcp', 'ssh']);

interface Entry {
  view: DeviceView;
  readonly parsed: DeviceUri;
  /** Reported by a discovery source right now (kept while it is, even when not manual). */
  discovered: boolean;
}

/** Keeps the device list and talks to the agents. */
export class DevicesService {
  readonly #deps: DevicesServiceDeps;
  readonly #entries = new Map<string, Entry>();
  readonly #probes = new Map<string, Promise<void>>();
  /** USB bootloaders on the bus (usb-device-view.ts): shown while attached, never contacted. */
  readonly #usb = new Map<string, DeviceView>();
  readonly #clock: () => Date;
  #closed = false;

  constructor(deps: DevicesServiceDeps) {
    this.#deps = deps;
    this.#clock = deps.clock ?? (() => new Date());
    for (const stored of deps.store.list()) {
      const parsed = parseDeviceUri(stored.uri);
      if (parsed.ok)
        this.#entries.set(parsed.value.uri, this.#newEntry(parsed.value, 'manual', stored.label));
    }
  }

  /** The device list as last seen (no contact). */
  list(): { devices: DeviceView[] } {
    return { devices: [...[...this.#entries.values()].map((entry) => entry.view), ...this.#usb.values()] };
  }

  /** Adds a device by address and contacts it once. */
  async add(text: string): Promise<DeviceView> {
    const parsed = parseDeviceUri(text.trim());
    if (parsed.ok && parsed.value.scheme === 'usb')
      throw new DeckhandError(
        'not_supported',
        'USB devices appear on their own when they are plugged in; they cannot be added by address.',
      );
    if (!parsed.ok) throw new DeckhandError(parsed.error.code, parsed.error.message);
    const uri = parsed.value.uri;
    const added = this.#deps.store.add({ uri, label: uri, addedAt: this.#now() });
    const existing = this.#entries.get(uri);
    if (existing) existing.view = { ...existing.view, manual: true };
    else this.#entries.set(uri, this.#newEntry(parsed.value, 'manual', uri));
    if (added) this.#deps.logs.record({ kind: 'device.added', device: uri, payload: { uri } });
    this.#changed();
    await this.#probe(uri);
    return this.#view(uri);
  }

  /** Removes a manual device and forgets its pin; a discovered one stays while its source reports it. */
  remove(text: string): { removed: boolean } {
    const uri = this.#normalise(text);
    const removed = this.#deps.store.remove(uri);
    const unpinned = this.#deps.pins.delete(uri);
    const entry = this.#entries.get(uri);
    if (entry?.discovered) {
      entry.view = { ...entry.view, manual: false, pinnedFingerprint: null, state: 'checking' };
    } else if (entry) {
      this.#entries.delete(uri);
      this.#deps.events.emit('device.detached', { uri });
    }
    if (removed || unpinned)
      this.#deps.logs.record({ kind: 'device.removed', device: uri, payload: { uri, unpinned } });
    this.#changed();
    return { removed: removed || entry !== undefined };
  }

  /** Contacts one device, or all of them. */
  async refresh(text?: string): Promise<{ devices: DeviceView[] }> {
    if (text === undefined) await Promise.all([...this.#entries.keys()].map((uri) => this.#probe(uri)));
    else {
      const uri = this.#normalise(text);
      if (!this.#entries.has(uri)) throw new DeckhandError('not_found', `${uri} is not in the device list.`);
      await this.#probe(uri);
    }
    return this.list();
  }

  /**
   * Pins the fingerprint the technician compared with the device's label or console. Deckhand
   * connects expecting exactly that fingerprint, so a device presenting another one is refused.
   */
  async confirmFingerprint(text: string, fingerprint: string): Promise<DeviceView> {
    const uri = this.#normalise(text);
    const entry = this.#entries.get(uri);
    if (!entry) throw new DeckhandError('not_found', `${uri} is not in the device list.`);
    if (!PINNED_SCHEMES.has(entry.parsed.scheme))
      throw new DeckhandError('invalid_state', `${uri} has no certificate or host key to trust.`);
    if (!isAgentUri(entry.parsed)) return this.#confirmOther(entry, fingerprint);
    const client = await this.#connect(entry.parsed, fingerprint);
    const previous = this.#deps.pins.get(uri)?.fingerprint ?? null;
    try {
      const identity = client.hello.identity;
      const seen = client.fingerprint ?? fingerprint;
      this.#deps.pins.set(uri, {
        fingerprint: seen,
        serialNumber: identity.serialNumber,
        pinnedAt: this.#now(),
      });
      this.#deps.logs.record({
        kind: 'device.pinned',
        device: uri,
        payload: {
          uri,
          fingerprint: seen,
          serialNumber: identity.serialNumber,
          hardware: identity.hardware,
          previous,
        },
      });
      await this.#readStatus(entry, client);
    } finally {
      client.close();
    }
    this.#changed();
    return this.#view(uri);
  }

  /**
   * Starts the discovery sources and the periodic refresh (hosts call this while a UI is attached).
   * Returns the function that stops both.
   */
  watch(intervalMs = DEVICE_REFRESH_MS): () => void {
    const stops = (this.#deps.sources ?? []).map((source) => {
      try {
        return source.start((event) => this.#onDiscovery(event, source));
      } catch (error) {
        console.error(`deckhand: device discovery (${source.name}) failed to start`, error);
        return () => undefined;
      }
    });
    void this.refresh().catch(() => undefined);
    const timer = setInterval(() => void this.refresh().catch(() => undefined), intervalMs);
    timer.unref();
    return () => {
      clearInterval(timer);
      for (const stop of stops) stop();
    };
  }

  /** Stops answering events; pending probes finish quietly. */
  close(): void {
    this.#closed = true;
  }

  #onDiscovery(event: DiscoveryEvent, source: DiscoverySource): void {
    if (this.#closed) return;
    if (event.uri.startsWith('usb:')) return this.#onUsbDiscovery(event);
    const parsed = parseAgentUri(event.uri);
    if (!parsed.ok) return; // not an agent address (USB rows are handled above): not a device row here
    const uri = parsed.value.uri;
    if (event.type === 'lost') {
      const entry = this.#entries.get(uri);
      if (!entry) return;
      entry.discovered = false;
      if (!entry.view.manual) {
        this.#entries.delete(uri);
        this.#deps.events.emit('device.detached', { uri });
        this.#changed();
      }
      return;
    }
    const existing = this.#entries.get(uri);
    if (existing) existing.discovered = true;
    else {
      const entry = this.#newEntry(parsed.value, event.transport, event.label || source.name);
      entry.discovered = true;
      this.#entries.set(uri, entry);
      this.#changed();
    }
    void this.#probe(uri).catch(() => undefined);
  }

  #onUsbDiscovery(event: DiscoveryEvent): void {
    if (event.type === 'lost') {
      if (!this.#usb.delete(event.uri)) return;
      this.#deps.events.emit('device.detached', { uri: event.uri });
    } else {
      const view = usbDeviceView(event, this.#now());
      if (view === null) return; // not a device the USB table knows (a keyboard, a USB stick)
      const known = this.#usb.has(view.uri);
      this.#usb.set(view.uri, view);
      if (!known)
        this.#deps.events.emit('device.attached', { uri: view.uri, transport: 'usb', label: view.label });
    }
    this.#changed();
  }

  #newEntry(parsed: DeviceUri, source: DeviceSource, label: string): Entry {
    return {
      parsed,
      discovered: false,
      view: {
        uri: parsed.uri,
        link: parsed.scheme,
        source,
        manual: source === 'manual',
        label,
        state: 'checking',
        seenFingerprint: null,
        pinnedFingerprint: this.#deps.pins.get(parsed.uri)?.fingerprint ?? null,
        identity: null,
        status: null,
        lastSeen: null,
        error: null,
      },
    };
  }

  /** One contact at a time per device; concurrent callers share it. */
  #probe(uri: string): Promise<void> {
    const running = this.#probes.get(uri);
    if (running) return running;
    const probe = this.#contact(uri).finally(() => this.#probes.delete(uri));
    this.#probes.set(uri, probe);
    return probe;
  }

  async #contact(uri: string): Promise<void> {
    const entry = this.#entries.get(uri);
    if (!entry) return;
    const before = entry.view.state;
    const pinned = PINNED_SCHEMES.has(entry.parsed.scheme)
      ? (this.#deps.pins.get(uri)?.fingerprint ?? null)
      : null;
    entry.view = { ...entry.view, pinnedFingerprint: pinned };
    try {
      if (!isAgentUri(entry.parsed)) await this.#contactOther(entry, pinned);
      else if (entry.parsed.scheme === 'tcp' && pinned === null) {
        // First contact: learn the fingerprint and say nothing else to an unconfirmed device.
        const probe = await this.#connect(entry.parsed, null);
        const seen = probe.fingerprint;
        probe.close();
        entry.view = {
          ...entry.view,
          state: 'unconfirmed',
          seenFingerprint: seen,
          identity: null,
          status: null,
          lastSeen: this.#now(),
          error: null,
        };
      } else {
        const client = await this.#connect(entry.parsed, pinned);
        try {
          await this.#readStatus(entry, client);
        } finally {
          client.close();
        }
      }
    } catch (error) {
      const data = toErrorData(error);
      const offline = data.code === 'link_lost' || data.code === 'timeout';
      const details = data.details as { seen?: unknown } | undefined;
      entry.view = {
        ...entry.view,
        state: offline ? 'offline' : 'error',
        error: { code: data.code, message: data.message },
        ...(typeof details?.seen === 'string' ? { seenFingerprint: details.seen } : {}),
        // What an impostor or a replaced device would show is not this device's state.
        ...(data.code === 'untrusted_device' ? { identity: null, status: null } : {}),
      };
    }
    if (this.#closed || this.#entries.get(uri) !== entry) return;
    const reachable = (state: string): boolean => state === 'online' || state === 'unconfirmed';
    if (!reachable(before) && reachable(entry.view.state))
      this.#deps.events.emit('device.attached', {
        uri,
        transport:
          entry.view.source === 'manual'
            ? entry.parsed.scheme === 'serial' || entry.parsed.scheme === 'smp+serial'
              ? 'serial'
              : 'lan'
            : entry.view.source,
        label: entry.view.identity?.serialNumber ?? entry.view.label,
      });
    else if (reachable(before) && !reachable(entry.view.state))
      this.#deps.events.emit('device.detached', { uri });
    this.#changed();
  }

  async #readStatus(entry: Entry, client: AgentClient): Promise<void> {
    const identity = await client.identify();
    const status = await client.status();
    entry.view = {
      ...entry.view,
      state: 'online',
      seenFingerprint: client.fingerprint,
      pinnedFingerprint:
        entry.parsed.scheme === 'tcp' ? (this.#deps.pins.get(entry.view.uri)?.fingerprint ?? null) : null,
      identity: identityView(identity),
      status: statusView(status),
      lastSeen: this.#now(),
      error: null,
    };
  }

  /** Contacts a device through its adapter: first contact learns the key, later ones read its state. */
  async #contactOther(entry: Entry, pinned: string | null): Promise<void> {
    const firstContact = PINNED_SCHEMES.has(entry.parsed.scheme) && pinned === null;
    const session = await this.#session(entry.parsed, pinned);
    try {
      if (firstContact) {
        entry.view = {
          ...entry.view,
          state: 'unconfirmed',
          seenFingerprint: session.fingerprint,
          identity: null,
          status: null,
          lastSeen: this.#now(),
          error: null,
        };
        return;
      }
      await this.#readSnapshot(entry, session);
    } finally {
      await session.close();
    }
  }

  async #confirmOther(entry: Entry, fingerprint: string): Promise<DeviceView> {
    const uri = entry.view.uri;
    const session = await this.#session(entry.parsed, fingerprint);
    const previous = this.#deps.pins.get(uri)?.fingerprint ?? null;
    try {
      const snapshot = await session.snapshot();
      const seen = session.fingerprint ?? fingerprint;
      this.#deps.pins.set(uri, {
        fingerprint: seen,
        ...(snapshot.serialNumber ? { serialNumber: snapshot.serialNumber } : {}),
        pinnedAt: this.#now(),
      });
      this.#deps.logs.record({
        kind: 'device.pinned',
        device: uri,
        payload: {
          uri,
          fingerprint: seen,
          serialNumber: snapshot.serialNumber,
          hardware: snapshot.hardware,
          previous,
        },
      });
      await this.#readSnapshot(entry, session);
    } finally {
      await session.close();
    }
    this.#changed();
    return this.#view(uri);
  }

  async #readSnapshot(entry: Entry, session: DeviceSession): Promise<void> {
    const snapshot = await session.snapshot();
    entry.view = {
      ...entry.view,
      state: 'online',
      seenFingerprint: session.fingerprint,
      pinnedFingerprint: this.#deps.pins.get(entry.view.uri)?.fingerprint ?? null,
      identity: {
        hardware: snapshot.hardware ?? 'unknown',
        serialNumber: snapshot.serialNumber ?? entry.view.label,
        agentVersion: '',
        keyFingerprint: session.fingerprint ?? '',
        trustRootPinned: false,
      },
      status: null,
      installed: [...snapshot.releases, ...snapshot.models].map((item) => ({
        name: item.name,
        version: item.version,
        state: item.state,
      })),
      lastSeen: this.#now(),
      error: null,
    };
  }

  #session(uri: DeviceUri, pinned: string | null): Promise<DeviceSession> {
    const connector = this.#deps.connectors?.find((c) => c.schemes.includes(uri.scheme));
    if (connector === undefined)
      return Promise.reject(
        new DeckhandError('not_supported', `This Deckhand has no adapter for ${uri.scheme}:// devices.`),
      );
    return connector.connect(uri, { pinnedFingerprint: pinned, timeoutMs: this.#deps.timeoutMs ?? 5_000 });
  }

  #connect(uri: AgentUri, fingerprint: string | null): Promise<AgentClient> {
    const connect = this.#deps.connect ?? connectAgent;
    return connect(uri, {
      fingerprint,
      timeoutMs: this.#deps.timeoutMs ?? 5_000,
      clientVersion: this.#deps.clientVersion ?? '0',
    });
  }

  #normalise(text: string): string {
    const parsed = parseDeviceUri(text.trim());
    if (!parsed.ok) throw new DeckhandError(parsed.error.code, parsed.error.message);
    return parsed.value.uri;
  }

  #view(uri: string): DeviceView {
    const entry = this.#entries.get(uri);
    if (!entry) throw new DeckhandError('not_found', `${uri} is not in the device list.`);
    return entry.view;
  }

  #changed(): void {
    if (!this.#closed) this.#deps.events.emit('devices.changed', this.list());
  }

  #now(): string {
    return this.#clock().toISOString();
  }
}

/** SHA-256 of the device's Ed25519 public key, as colon-separated hex. */
export function keyFingerprint(publicKeyBase64: string): string {
  const hex = createHash('sha256').update(Buffer.from(publicKeyBase64, 'base64')).digest('hex').toUpperCase();
  return hex.match(/../g)?.join(':') ?? hex;
}

function identityView(identity: DeviceIdentity): NonNullable<DeviceView['identity']> {
  return {
    hardware: identity.hardware,
    serialNumber: identity.serialNumber,
    agentVersion: identity.agentVersion,
    keyFingerprint: keyFingerprint(identity.publicKey),
    trustRootPinned: identity.trustRootPinned,
  };
}

function statusView(status: DeviceStatus): NonNullable<DeviceView['status']> {
  const slot = (name: 'a' | 'b') => {
    const release = status.slots[name];
    return release
      ? { name: release.name, version: release.version, releaseCounter: release.releaseCounter }
      : null;
  };
  return {
    booted: status.booted,
    confirmed: status.confirmed,
    pending: status.pending,
    trial: status.trial,
    slots: { a: slot('a'), b: slot('b') },
    counter: status.counter,
    models: status.models.map((m) => ({ name: m.name, version: m.version })),
    health: status.health,
    freeBytes: status.freeBytes,
  };
}
