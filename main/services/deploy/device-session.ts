/**
 * The deploy engine's view of a device, whatever reaches it: the Deckhand agent (tcp://, serial://),
 * a device's own updater over SSH (RAUC, Mender, SWUpdate, copy), SWUpdate's web server, USB
 * bootloaders (DFU, fastboot) or MCUmgr SMP. Each adapter implements DeviceConnector for its schemes
 * and declares what its sessions can do; the engine only calls what is declared
 * (ARCHITECTURE.md § Devices, § Deploy engine).
 *
 * Contract for implementers:
 * - Every method throws DeckhandError with a stable code (core/result.ts) and a message for a
 *   technician. `link_lost` and `timeout` mean "reconnect and try again": the engine then opens a
 *   new session and repeats the step, so upload must resume (or restart) safely and every other
 *   step must be idempotent or report the state it finds.
 * - Methods honour `signal` where they take one: abort at a safe point with code `cancelled`.
 * - Long work reports bytes through the ProgressMeter it is given (step names are the engine's).
 */
import type { DeviceUri, DeviceScheme } from '../../../core/device-uri/device-uri';
import type { ProgressMeter } from '../../../core/progress/progress-meter';
import type { MetadataSet, SignedReceipt } from '../../../core/protocol/messages';

/** What a session may be able to do. */
export const CAPABILITIES = [
  'upload',
  'resume',
  'verify',
  'install',
  'reboot',
  'health',
  'commit',
  'rollback',
  'diagnostics',
  'console',
] as const;
export type Capability = (typeof CAPABILITIES)[number];

/** A verified target from the store, ready to send. */
export interface DeployTarget {
  /** TUF target path, e.g. `releases/edge-os/2.4.0/edge-os.img`. */
  readonly path: string;
  readonly kind: 'release' | 'model' | 'policy';
  readonly name: string;
  readonly version: string;
  readonly sha256: string;
  readonly length: number;
  /** Local file holding the verified bytes (content-addressed store). */
  readonly filePath: string;
  readonly releaseCounter: number;
  readonly hardware: readonly string[];
  /** HQ's install instructions: `method` (agent, rauc, mender, swupdate, copy, dfu, fastboot, smp…) and its `params` (target custom `install`). */
  readonly install: { readonly method: string; readonly params: Readonly<Record<string, unknown>> };
  /** The whole custom metadata block of the target, as HQ signed it. */
  readonly custom: Readonly<Record<string, unknown>>;
  /** HQ's TUF metadata, so a device that verifies targets itself (the agent) can. */
  readonly metadata: MetadataSet;
}

/** One installed thing on a device, as read back from it. */
export interface InstalledItem {
  readonly name: string;
  readonly version: string;
  readonly sha256: string | null;
  /** active: running and confirmed; trial: running, not yet committed; inactive: installed, not booted. */
  readonly state: 'active' | 'trial' | 'inactive';
}

/** The device's real state, read from it (never assumed). */
export interface DeviceSnapshot {
  readonly hardware: string | null;
  readonly serialNumber: string | null;
  readonly freeBytes: number | null;
  /** Anti-rollback counter, when the device keeps one. */
  readonly counter: number | null;
  readonly releases: readonly InstalledItem[];
  readonly models: readonly InstalledItem[];
  /** True while a new release runs on trial (commit or roll back). */
  readonly trial: boolean;
}

/** What a step left behind: the device's signed receipt when it makes them, and a line for the log. */
export interface StepOutcome {
  readonly receipt: SignedReceipt | null;
  readonly detail: string;
}

/** A live connection to one device. */
export interface DeviceSession {
  readonly uri: string;
  readonly capabilities: ReadonlySet<Capability>;
  /** Host key or certificate fingerprint seen on this connection, when the link has one. */
  readonly fingerprint: string | null;
  snapshot(): Promise<DeviceSnapshot>;
  /** Sends the target's bytes (resuming from what the device holds when `resume` is declared). */
  upload(target: DeployTarget, meter: ProgressMeter, signal: AbortSignal): Promise<void>;
  /** The device checks the uploaded target itself (signature and hash). */
  verify(target: DeployTarget): Promise<StepOutcome>;
  /** Installs into the inactive slot / models folder / updater; does not reboot. */
  install(target: DeployTarget, meter: ProgressMeter, signal: AbortSignal): Promise<StepOutcome>;
  /** Reboots into the new release and waits until the device answers again. */
  reboot(signal: AbortSignal): Promise<StepOutcome>;
  /** Runs the health check of what was installed. */
  health(target: DeployTarget): Promise<{ readonly healthy: boolean; readonly detail: string }>;
  /** Confirms the release on trial. */
  commit(target: DeployTarget): Promise<StepOutcome>;
  /** Returns to the last confirmed release (or, given a model target, the model it replaced). */
  rollback(reason: string, target?: DeployTarget): Promise<StepOutcome>;
  close(): Promise<void>;
}

/** How to open a session. */
export interface ConnectContext {
  /** Pinned fingerprint (TLS certificate or SSH host key) or null on first contact. */
  readonly pinnedFingerprint: string | null;
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

/** Opens sessions for some URI schemes. */
export interface DeviceConnector {
  readonly schemes: readonly DeviceScheme[];
  connect(uri: DeviceUri, context: ConnectContext): Promise<DeviceSession>;
}
