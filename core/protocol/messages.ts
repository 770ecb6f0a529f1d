/**
 * The Deckhand device protocol's messages: the envelope, every verb's parameters (zod, bounded) and
 * the result shapes. docs/protocol.md lists the verbs with their semantics.
 */
import { z } from 'zod';
import type { DiagnosticLevel, DiagnosticWindow, LoadTestOutcome } from '../diagnostics/diagnostic-report';
import { loadPlanSchema } from '../diagnostics/load-plan';
import type { SampleSource, SystemSample } from '../diagnostics/system-sample';
import { ERROR_CODES, type AppErrorData } from '../result';

/**
 * Protocol versions this code speaks; hello picks the highest both sides know. Version 2 is version
 * 1 plus message frames that may leave out their payload CRC (docs/protocol.md § Frames).
 */
export const PROTOCOL_VERSIONS = [1, 2] as const;

/** From this version on, both sides take message frames without a payload CRC. */
export const PAYLOAD_CRC_OPTIONAL_SINCE = 2;

/** Largest upload the agent accepts (1 TiB: bounds offsets, not a device's real capacity). */
export const MAX_UPLOAD_BYTES = 2 ** 40;

/** Largest base64 metadata file (the whole JSON part is bounded by MAX_JSON_BYTES anyway). */
const MAX_METADATA_FILE_CHARS = 1024 * 1024;
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex SHA-256');
const shortText = z.string().max(256);

/** A request: `id` correlates the response. */
export const requestEnvelope = z.object({
  t: z.literal('req'),
  id: z
    .number()
    .int()
    .min(1)
    .max(2 ** 32 - 1),
  verb: z.string().min(1).max(64),
  params: z.unknown().optional(),
});

/** A response to request `id` (0 when the request could not be read at all). */
export const responseEnvelope = z.union([
  z.object({ t: z.literal('res'), id: z.number().int().min(0), ok: z.literal(true), value: z.unknown() }),
  z.object({
    t: z.literal('res'),
    id: z.number().int().min(0),
    ok: z.literal(false),
    error: z.object({ code: z.enum(ERROR_CODES), message: z.string(), details: z.unknown().optional() }),
  }),
]);

/** Either envelope. */
export const envelope = z.union([requestEnvelope, responseEnvelope]);
export type RequestEnvelope = z.infer<typeof requestEnvelope>;
export type ResponseEnvelope =
  | { t: 'res'; id: number; ok: true; value: unknown }
  | { t: 'res'; id: number; ok: false; error: AppErrorData };

/**
 * HQ's TUF metadata that travels with a target, so the device can verify it itself: the bundle's
 * metadata files by name (`2.root.json`, `timestamp.json`, `snapshot.json`, `targets.json`,
 * `releases.json`, …), each as the base64 of its exact bytes (hashes in snapshot and timestamp are
 * over those bytes).
 */
export const metadataSet = z.object({
  files: z
    .record(z.string().regex(/^[0-9A-Za-z._-]{1,128}\.json$/), z.string().max(MAX_METADATA_FILE_CHARS))
    .refine((files) => Object.keys(files).length <= 64, 'at most 64 metadata files'),
});
export type MetadataSet = z.infer<typeof metadataSet>;

/** Parameters of each verb. */
export const verbParams = {
  hello: z.object({
    versions: z.array(z.number().int().min(1)).min(1).max(16),
    client: z.object({ name: shortText, version: shortText }),
  }),
  identify: z.object({}),
  status: z.object({}),
  ping: z.object({}),
  'upload.begin': z.object({
    sha256: sha256Hex,
    length: z.number().int().min(0).max(MAX_UPLOAD_BYTES),
    name: shortText.optional(),
  }),
  'upload.resume': z.object({ sha256: sha256Hex }),
  'upload.data': z.object({ sha256: sha256Hex, offset: z.number().int().min(0).max(MAX_UPLOAD_BYTES) }),
  'upload.end': z.object({ sha256: sha256Hex }),
  verify: z.object({ target: z.string().min(1).max(512), metadata: metadataSet }),
  install: z.object({ target: z.string().min(1).max(512), metadata: metadataSet }),
  activate: z.object({}),
  reboot: z.object({}),
  /** `model`: judge that model instead of the booted release. */
  health: z.object({ model: shortText.optional() }),
  commit: z.object({}),
  /** `model`: put back the model it replaced instead of leaving the release on trial. */
  rollback: z.object({ model: shortText.optional() }),
  logs: z.object({ lines: z.number().int().min(1).max(1000).default(100) }),
  /**
   * On-device diagnostics, polled so that it works over serial too: `info` (the inference server's
   * address, installed models, the statistics source), `start` a load test of an installed model
   * against the agent's own server, `poll` for windows after a given count (and the outcome once
   * done), `stop` a run, `samples` for the latest GPU/system samples.
   */
  diagnostics: z.discriminatedUnion('action', [
    z.object({ action: z.literal('info') }),
    z.object({ action: z.literal('start'), model: shortText.min(1), plan: loadPlanSchema }),
    z.object({
      action: z.literal('poll'),
      runId: shortText.min(1),
      afterWindow: z.number().int().min(0).max(100_000).default(0),
      afterLevel: z.number().int().min(0).max(1000).default(0),
    }),
    z.object({ action: z.literal('stop'), runId: shortText.min(1) }),
    z.object({ action: z.literal('samples'), sinceMs: z.number().min(0).default(0) }),
  ]),
} as const;

/** Every verb name. */
export type Verb = keyof typeof verbParams;
/** The parameters of a verb, after parsing. */
export type VerbParams<V extends Verb> = z.infer<(typeof verbParams)[V]>;
/** The parameters of a verb, as a caller writes them (defaults optional). */
export type VerbInput<V extends Verb> = z.input<(typeof verbParams)[V]>;

/** True when `name` is a verb of this protocol version. */
export function isVerb(name: string): name is Verb {
  return Object.hasOwn(verbParams, name);
}

/** A/B slot names. */
export type SlotName = 'a' | 'b';

/** What the device says about itself. */
export interface DeviceIdentity {
  readonly hardware: string;
  readonly serialNumber: string;
  /** Ed25519 device public key, SPKI DER in base64. */
  readonly publicKey: string;
  /** SHA-256 of the TLS certificate (colon-separated upper-case hex, as Node prints it). */
  readonly certificateFingerprint: string;
  readonly agentVersion: string;
  readonly protocolVersions: readonly number[];
  readonly freeBytes: number;
  readonly trustRootPinned: boolean;
}

/** The release installed in a slot. */
export interface SlotRelease {
  readonly name: string;
  readonly version: string;
  readonly sha256: string;
  readonly length: number;
  readonly releaseCounter: number;
  readonly installedAt: string;
}

/** Boot and slot state as the agent reports it. */
export interface DeviceStatus {
  readonly booted: SlotName | null;
  /** The confirmed slot (survives reboots). */
  readonly confirmed: SlotName | null;
  /** Slot marked to test on the next boot, or being tested now. */
  readonly pending: SlotName | null;
  /** True while the booted slot runs on trial (commit or it reverts at the next reboot). */
  readonly trial: boolean;
  readonly bootCount: number;
  readonly slots: { readonly a: SlotRelease | null; readonly b: SlotRelease | null };
  readonly counter: number;
  readonly models: readonly { readonly name: string; readonly version: string; readonly sha256: string }[];
  readonly health: { readonly healthy: boolean; readonly detail: string } | null;
  readonly freeBytes: number;
  readonly receipts: readonly SignedReceipt[];
}

/** What a receipt attests. */
export interface Receipt {
  readonly kind: 'install' | 'commit' | 'rollback';
  readonly serialNumber: string;
  readonly hardware: string;
  readonly slot: SlotName | null;
  readonly target: { readonly name: string; readonly version: string; readonly sha256: string } | null;
  readonly counter: number;
  readonly bootCount: number;
  readonly reason?: string;
  readonly time: string;
}

/** A receipt signed by the device key: Ed25519 over the receipt's canonical JSON. */
export interface SignedReceipt {
  readonly receipt: Receipt;
  /** base64 signature. */
  readonly signature: string;
  /** Device public key, SPKI DER in base64. */
  readonly publicKey: string;
}

/** Trusted facts about a target, as the device verified them. */
export interface VerifiedTarget {
  /** The TUF target path (`releases/NAME/VERSION/FILE`). */
  readonly path: string;
  readonly name: string;
  readonly length: number;
  readonly sha256: string;
  readonly kind: 'release' | 'model' | 'policy';
  readonly version: string;
  readonly releaseCounter: number;
  readonly hardware: readonly string[];
  readonly install: { readonly method: string };
}

/** Results of each verb. */
export interface VerbResults {
  hello: { version: number; identity: DeviceIdentity };
  identify: DeviceIdentity;
  status: DeviceStatus;
  ping: Record<string, never>;
  'upload.begin': { offset: number; complete: boolean };
  'upload.resume': { offset: number; length: number };
  'upload.data': { offset: number };
  'upload.end': { sha256: string; length: number };
  verify: VerifiedTarget;
  install: { slot: SlotName | null; target: VerifiedTarget; receipt: SignedReceipt };
  activate: { pending: SlotName };
  reboot: { booted: SlotName | null; reverted: boolean; receipt?: SignedReceipt };
  health: { healthy: boolean; detail: string };
  commit: { slot: SlotName; receipt: SignedReceipt };
  rollback: { slot: SlotName | null; receipt: SignedReceipt };
  logs: { lines: string[] };
  diagnostics: DiagnosticsResult;
}

/** What the agent says about its inference server. */
export interface DiagnosticsInfo {
  readonly action: 'info';
  /** `http://host:port` of the OIP server, as the agent binds it (null: not running). */
  readonly inferenceUrl: string | null;
  readonly inferencePort: number | null;
  readonly models: readonly { readonly name: string; readonly version: string; readonly sha256: string }[];
  readonly samplerSource: SampleSource | null;
}

/** A poll's answer: windows and levels after those already seen, and the outcome once finished. */
export interface DiagnosticsPoll {
  readonly action: 'poll';
  readonly state: 'running' | 'done' | 'failed';
  readonly windows: readonly DiagnosticWindow[];
  readonly levels: readonly DiagnosticLevel[];
  readonly outcome: LoadTestOutcome | null;
  readonly error: AppErrorData | null;
}

/** Answers of the diagnostics verb, by action. */
export type DiagnosticsResult =
  | DiagnosticsInfo
  | { readonly action: 'start'; readonly runId: string }
  | DiagnosticsPoll
  | { readonly action: 'stop'; readonly stopped: boolean }
  | {
      readonly action: 'samples';
      readonly source: SampleSource | null;
      readonly samples: readonly SystemSample[];
    };

/** Packs a bundle's metadata files (name → bytes) for the wire. */
export function toMetadataSet(files: ReadonlyMap<string, Uint8Array>): MetadataSet {
  return {
    files: Object.fromEntries(
      [...files].map(([name, bytes]) => [name, Buffer.from(bytes).toString('base64')]),
    ),
  };
}
