/**
 * The one truth about what the renderer may ask of the backend and what it hears back.
 *
 * Every verb has a zod input schema (parsed by the gate before any service runs) and an output type.
 * Every event has a payload type (names and channels live in channels.ts, free of zod, for the
 * preload). The preload builds `window.deckhand` from `VERB_NAMES` and `EVENT_NAMES`; the browser host serves the same map over its WebSocket. This file must stay free of
 * Node and Electron imports: the renderer imports its types.
 */
import { z } from 'zod';
import type { ChainStatus } from '../../core/eventlog/event-types';
import type { ProgressRecord } from '../../core/progress/progress-meter';
import type { Result } from '../../core/result';
import type { BundleImportRow, BundleOffer, TrustRow } from './bundle-types';
import type { DeviceView } from './device-types';
import type { DeployPlanView, DeployRunView, DeployableTarget, OverviewView } from './deploy-types';
import type { EventName, VerbName } from './channels';
import type {
  DiagnosticDeviceView,
  DiagnosticExport,
  DiagnosticLevel,
  DiagnosticRun,
  DiagnosticRunSummary,
  DiagnosticWindow,
} from './diagnostics-types';

export {
  EVENT_CHANNEL,
  EVENT_NAMES,
  VERB_NAMES,
  verbChannel,
  type EventName,
  type VerbName,
} from './channels';
export type { BundleImportRow, BundleOffer, BundleRoleRow, BundleTargetRow, TrustRow } from './bundle-types';
export type { DeviceSlotView, DeviceSource, DeviceState, DeviceView } from './device-types';
export type {
  DeployDeviceView,
  DeployPlanView,
  DeployRunView,
  DeployStep,
  DeployTargetView,
  DeployableTarget,
  DeviceOutcome,
  OverviewView,
} from './deploy-types';
export type {
  DiagnosticDeviceView,
  DiagnosticExport,
  DiagnosticLevel,
  DiagnosticModelView,
  DiagnosticRun,
  DiagnosticRunSummary,
  DiagnosticWindow,
  Placement,
  Slo,
  SloCheck,
  Verdict,
} from './diagnostics-types';

/** An open serial console. */
export interface ConsoleView {
  readonly consoleId: string;
  /** The port's device path, e.g. /dev/ttyUSB0. */
  readonly port: string;
  readonly baud: number;
  /** True when the technician may type to the device. */
  readonly interactive: boolean;
}

/** Largest page the renderer may request at once; the Logs table pages through bigger logs. */
export const MAX_PAGE = 1000;

const noInput = z.undefined();
const deviceUri = z.string().trim().min(1).max(1024);
/** A TLS certificate's SHA-256 in hex, or an SSH host key's `SHA256:<base64>` as OpenSSH prints it. */
const fingerprintText = z
  .string()
  .trim()
  .regex(/^(?:[0-9a-fA-F:]{64,95}|SHA256:[A-Za-z0-9+/]{43}=?)$/);
const filterText = z.string().trim().min(1).max(256).optional();
const targetRef = z.object({ importId: z.number().int().min(1), path: z.string().min(1).max(512) }).strict();
const deviceList = z.array(deviceUri).min(1).max(512);
const runId = z.string().uuid();

/** Verb name → input schema. Output types are in `VerbOutputs`, keyed the same way. */
export const verbInputs = {
  /** Version, data folder and host kind, for the About and Settings screens. */
  'app.info': noInput,
  /** A page of the deploy log, newest first, optionally filtered by kind and device. */
  'logs.query': z
    .object({
      offset: z.number().int().min(0),
      limit: z.number().int().min(1).max(MAX_PAGE),
      kind: filterText,
      device: filterText,
    })
    .strict(),
  /** The distinct kinds and devices in the log, for the filter menus. */
  'logs.facets': noInput,
  /** Walks the whole hash chain and reports whether it is intact. */
  'logs.verify': noInput,
  /** Bundle imports (refusals included), newest first, and the pinned trust root. */
  'bundles.list': noInput,
  /** Verifies and imports a .dhb file or bundle folder; progress arrives as 'progress' with this jobId. */
  'bundles.import': z
    .object({
      path: z.string().trim().min(1).max(4096),
      jobId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
    })
    .strict(),
  /** Cancels a running import; nothing of it is kept. */
  'bundles.cancelImport': z.object({ jobId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) }).strict(),
  /** Bundles found on removable drives right now. */
  'bundles.offers': noInput,
  /** The host's native file dialog (desktop app only; the browser host answers not_found). */
  'bundles.pickFile': noInput,
  /** Enrolment, pending events, last receipt; with `probe`, also whether HQ answers now. */
  'sync.status': z.object({ probe: z.boolean().optional() }).strict().optional(),
  /** Enrols this laptop's technician key with an HQ and pins its certificate. */
  'sync.enrol': z
    .object({
      hqUrl: z.string().trim().url().startsWith('https://').max(2048),
      technicianName: z.string().trim().min(1).max(200),
      fingerprint: z
        .string()
        .trim()
        .regex(/^[0-9a-fA-F:]{64,95}$/)
        .optional(),
      token: z.string().trim().min(1).max(500).optional(),
    })
    .strict(),
  /** Uploads the events after the last receipt; progress arrives as 'progress' events (job 'sync'). */
  'sync.now': noInput,
  /** Stops a running sync between requests. */
  'sync.cancel': noInput,
  /** Devices added by address and discovered, as last seen (no contact). */
  'devices.list': noInput,
  /** Adds a device by URI and contacts it once (a TLS device comes back `unconfirmed`). */
  'devices.add': z.object({ uri: deviceUri }).strict(),
  /** Removes a manually added device and forgets its certificate pin. */
  'devices.remove': z.object({ uri: deviceUri }).strict(),
  /** Contacts one device, or every device when no uri is given. */
  'devices.refresh': z.object({ uri: deviceUri.optional() }).strict().optional(),
  /** Pins the certificate fingerprint the technician compared with the device's own display. */
  'devices.confirmFingerprint': z.object({ uri: deviceUri, fingerprint: fingerprintText }).strict(),
  /** Releases and models of imported bundles whose bytes are on this laptop. */
  'deploy.targets': noInput,
  /** Reads each device's state and says per device: deploy, skip (already there) or refuse, and why. */
  'deploy.plan': z.object({ target: targetRef, devices: deviceList }).strict(),
  /** Starts a run; progress arrives as 'progress' (jobId = run id) and 'deploy.changed' events. */
  'deploy.start': z
    .object({
      target: targetRef,
      devices: deviceList,
      concurrency: z.number().int().min(1).max(256).optional(),
    })
    .strict(),
  /** Stops a run at the next safe point (a device on trial is rolled back). */
  'deploy.cancel': z.object({ runId: runId }).strict(),
  /** Runs, newest first. */
  'deploy.runs': z
    .object({ limit: z.number().int().min(1).max(500).optional() })
    .strict()
    .optional(),
  /** Runs the same target again on the devices of a run that did not commit. */
  'deploy.retry': z.object({ runId: runId }).strict(),
  /** Rolls a device back on request (a release on trial, or a model to the one it replaced). */
  'deploy.rollback': z.object({ device: deviceUri, target: targetRef.optional() }).strict(),
  /** Latest state of every device deployed to, and DORA metrics over 7, 30 and 90 days. */
  'overview.summary': noInput,
  /** A device's inference server, installed models and their SLOs (contacts the device). */
  'diagnostics.device': z.object({ device: deviceUri }).strict(),
  /**
   * Starts a diagnostic of a model on a device (or an OIP server URL); 'diagnostics.window',
   * '.level' and '.finished' events follow with this runId.
   */
  'diagnostics.start': z
    .object({
      device: deviceUri.nullable(),
      url: z.string().trim().url().max(2048).optional(),
      model: z.string().trim().min(1).max(256),
      profile: z.enum(['quick', 'full']),
      placement: z.enum(['on-device', 'from-laptop']),
    })
    .strict(),
  /** Stops a running diagnostic after its current window. */
  'diagnostics.cancel': z.object({ runId: runId }).strict(),
  /** Finished diagnostics, newest first (from the deploy log). */
  'diagnostics.runs': z
    .object({ limit: z.number().int().min(1).max(500).optional() })
    .strict()
    .optional(),
  /** One finished diagnostic, whole (windows, levels, samples, verdict). */
  'diagnostics.run': z.object({ runId: runId }).strict(),
  /** A finished diagnostic as CSV or JSON text, to save. */
  'diagnostics.export': z.object({ runId: runId, format: z.enum(['csv', 'json']) }).strict(),
  /**
   * Opens a serial console on a port, read-only unless `interactive`; output arrives as
   * 'console.output' events. Opening an open port changes its mode and returns it.
   */
  'console.open': z
    .object({
      port: z
        .string()
        .trim()
        .regex(/^\/dev\/[A-Za-z0-9._/-]{1,200}$/)
        .refine((path) => !path.split('/').includes('..'), 'a device path has no ".." parts'),
      baud: z.number().int().min(50).max(12_000_000).optional(),
      interactive: z.boolean().optional(),
    })
    .strict(),
  /** Types to an interactive console (refused while it is read-only). */
  'console.write': z.object({ consoleId: z.string().uuid(), data: z.string().min(1).max(4096) }).strict(),
  /** Closes a console; what it printed stays in the deploy log. */
  'console.close': z.object({ consoleId: z.string().uuid() }).strict(),
} as const satisfies { readonly [V in VerbName]: z.ZodType };

/** One row of the deploy log as the UI sees it. */
export interface LogRow {
  readonly seq: number;
  readonly time: string;
  readonly kind: string;
  readonly device: string | null;
  readonly payload: unknown;
  readonly hash: string;
}

/** HQ's last countersigned receipt, as the Sync screen shows it. */
export interface SyncReceiptView {
  readonly size: number;
  readonly head: string;
  readonly time: string;
  readonly signature: string;
}

/** Where this laptop stands with HQ. */
export interface SyncStatus {
  readonly enrolled: boolean;
  /** The technician key (null until first created). */
  readonly technician: {
    readonly keyId: string;
    readonly laptopId: string;
    readonly name: string | null;
  } | null;
  /** The HQ enrolled with, as pinned. */
  readonly hq: {
    readonly url: string;
    readonly name: string;
    readonly keyId: string;
    readonly fingerprint: string;
  } | null;
  /** Whether HQ answered just now; null when not asked or not enrolled. */
  readonly reachable: boolean | null;
  readonly logSize: number;
  /** Events after the last receipt (the outbox). */
  readonly pending: number;
  readonly lastSyncAt: string | null;
  readonly lastReceipt: SyncReceiptView | null;
  readonly running: boolean;
  readonly lastError: { readonly code: string; readonly message: string } | null;
}

/** Output type of each verb. */
export interface VerbOutputs {
  'app.info': {
    readonly name: string;
    readonly version: string;
    readonly dataDir: string;
    readonly host: 'electron' | 'browser' | 'cli';
    readonly platform: string;
  };
  'logs.query': { readonly total: number; readonly rows: readonly LogRow[] };
  'logs.facets': { readonly kinds: readonly string[]; readonly devices: readonly string[] };
  'logs.verify': ChainStatus;
  'bundles.list': { readonly trust: TrustRow | null; readonly imports: readonly BundleImportRow[] };
  'bundles.import': {
    readonly import: BundleImportRow;
    /** Targets copied into the store; the others were already there. */
    readonly copied: number;
    readonly reused: number;
  };
  'bundles.cancelImport': { readonly cancelled: boolean };
  'bundles.offers': { readonly offers: readonly BundleOffer[] };
  'bundles.pickFile': { readonly path: string | null };
  'sync.status': SyncStatus;
  'sync.enrol': SyncStatus;
  'sync.now': { readonly sent: number; readonly batches: number; readonly receipt: SyncReceiptView };
  'sync.cancel': { readonly cancelled: boolean };
  'devices.list': { readonly devices: readonly DeviceView[] };
  'devices.add': DeviceView;
  'devices.remove': { readonly removed: boolean };
  'devices.refresh': { readonly devices: readonly DeviceView[] };
  'devices.confirmFingerprint': DeviceView;
  'deploy.targets': { readonly targets: readonly DeployableTarget[] };
  'deploy.plan': DeployPlanView;
  'deploy.start': DeployRunView;
  'deploy.cancel': { readonly cancelled: boolean };
  'deploy.runs': { readonly runs: readonly DeployRunView[] };
  'deploy.retry': DeployRunView;
  'deploy.rollback': { readonly detail: string };
  'overview.summary': OverviewView;
  'diagnostics.device': DiagnosticDeviceView;
  'diagnostics.start': { readonly runId: string };
  'diagnostics.cancel': { readonly cancelled: boolean };
  'diagnostics.runs': { readonly runs: readonly DiagnosticRunSummary[] };
  'diagnostics.run': DiagnosticRun;
  'diagnostics.export': DiagnosticExport;
  'console.open': ConsoleView;
  'console.write': { readonly written: number };
  'console.close': { readonly closed: boolean };
}

export type VerbInput<V extends VerbName> = z.input<(typeof verbInputs)[V]>;
export type VerbParsedInput<V extends VerbName> = z.output<(typeof verbInputs)[V]>;
export type VerbOutput<V extends VerbName> = VerbOutputs[V];

/** Event name → payload type. */
export interface EventPayloads {
  progress: ProgressRecord;
  'device.attached': {
    readonly uri: string;
    readonly transport: 'lan' | 'serial' | 'usb';
    readonly label: string;
  };
  'device.detached': { readonly uri: string };
  'log.appended': { readonly seq: number; readonly kind: string; readonly device: string | null };
  /** The bundles on removable drives changed (a stick was plugged in or removed). */
  'bundle.offers': { readonly offers: readonly BundleOffer[] };
  /** The device list changed (added, removed, contacted, discovered). */
  'devices.changed': { readonly devices: readonly DeviceView[] };
  /** A deploy run changed (a device moved to another step or finished). */
  'deploy.changed': { readonly run: DeployRunView };
  /** A diagnostic's measurement window closed. */
  'diagnostics.window': { readonly runId: string; readonly window: DiagnosticWindow };
  /** A diagnostic finished a load level. */
  'diagnostics.level': { readonly runId: string; readonly level: DiagnosticLevel };
  /** A diagnostic ended: the run, or why it could not run. */
  'diagnostics.finished': {
    readonly runId: string;
    readonly run: DiagnosticRun | null;
    readonly error: { readonly code: string; readonly message: string } | null;
  };
  /** Text a serial console printed (live; the deploy log keeps it batched). */
  'console.output': { readonly consoleId: string; readonly data: string };
  /** A serial console closed: by the technician (reason null) or because the port went away. */
  'console.closed': { readonly consoleId: string; readonly reason: string | null };
}

/** Compile-time proof that EVENT_NAMES and EventPayloads name the same events. */
export const EVENT_PAYLOADS_COMPLETE: [EventName] extends [keyof EventPayloads]
  ? [keyof EventPayloads] extends [EventName]
    ? true
    : never
  : never = true;

/** The API the renderer sees, whichever host carries it. */
export type DeckhandApi = {
  readonly [V in VerbName]: (input: VerbInput<V>) => Promise<Result<VerbOutput<V>>>;
} & {
  /** Subscribes to an event; returns the unsubscribe function. */
  readonly on: <E extends EventName>(event: E, listener: (payload: EventPayloads[E]) => void) => () => void;
  /**
   * Desktop app only: the file-system path of a File dropped on the window (Electron's
   * webUtils.getPathForFile). Absent in a browser, which never reveals paths.
   */
  readonly pathForFile?: (file: unknown) => string;
};
