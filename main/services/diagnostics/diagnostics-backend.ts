/**
 * Wires the Diagnostics feature into a backend: device sessions with pinned certificates, SLOs from
 * the imported bundles, and the verb handlers.
 */
import { parseAgentUri } from '../../../core/device-uri/device-uri';
import { profilePlan } from '../../../core/diagnostics/load-plan';
import { runToCsv, runToJson } from '../../../core/diagnostics/run-export';
import { sloSchema } from '../../../core/bundle/target-info';
import type { Slo } from '../../../core/diagnostics/verdict';
import { DeckhandError } from '../../../core/result';
import type { AgentClient } from '../../adapters/agent-client/agent-client';
import { connectAgent } from '../../adapters/agent-client/agent-connection';
import type { VerbHandlers } from '../../ipc/gate';
import type { BundlesService } from '../bundles/bundles-service';
import type { DevicePins } from '../devices/device-pins';
import type { EventBus } from '../event-bus';
import type { LogsService } from '../logs-service';
import { DiagnosticsService } from './diagnostics-service';

/** The Diagnostics feature of one open data folder. */
export interface DiagnosticsFeature {
  readonly service: DiagnosticsService;
  readonly handlers: Pick<
    VerbHandlers,
    | 'diagnostics.device'
    | 'diagnostics.start'
    | 'diagnostics.cancel'
    | 'diagnostics.runs'
    | 'diagnostics.run'
    | 'diagnostics.export'
  >;
}

/** Opens the feature. */
export function openDiagnosticsFeature(deps: {
  readonly logs: LogsService;
  readonly events: EventBus;
  readonly bundles: BundlesService;
  readonly pins: DevicePins;
  readonly version: string;
  readonly clock?: (() => Date) | undefined;
  /** Replaces the device connection (tests). */
  readonly connect?: (uri: string) => Promise<AgentClient>;
}): DiagnosticsFeature {
  const service = new DiagnosticsService({
    logs: deps.logs,
    events: deps.events,
    connect: deps.connect ?? ((uri) => connectPinned(uri, deps.pins, deps.version)),
    findSlo: (model) => findSlo(deps.bundles, model),
    ...(deps.clock ? { clock: deps.clock } : {}),
  });
  return {
    service,
    handlers: {
      'diagnostics.device': (input) => service.deviceInfo(input.device),
      'diagnostics.start': (input) => ({
        runId: service.start({
          device: input.device,
          url: input.url ?? null,
          model: input.model,
          plan: profilePlan(input.profile),
          placement: input.placement,
        }),
      }),
      'diagnostics.cancel': (input) => ({ cancelled: service.cancel(input.runId) }),
      'diagnostics.runs': (input) => ({ runs: service.history(input?.limit ?? 100) }),
      'diagnostics.run': (input) => service.get(input.runId),
      'diagnostics.export': (input) => {
        const run = service.get(input.runId);
        const stem = `diagnostic-${run.modelName}-${run.startedAt.replace(/[:.]/g, '-')}`;
        return input.format === 'csv'
          ? { fileName: `${stem}.csv`, mediaType: 'text/csv', content: runToCsv(run) }
          : { fileName: `${stem}.json`, mediaType: 'application/json', content: runToJson(run) };
      },
    },
  };
}

/** Connects to a device with its pinned certificate (a TLS device must have been confirmed). */
export async function connectPinned(uri: string, pins: DevicePins, version: string): Promise<AgentClient> {
  const parsed = parseAgentUri(uri.trim());
  if (!parsed.ok) throw new DeckhandError(parsed.error.code, parsed.error.message);
  const fingerprint =
    parsed.value.scheme === 'tcp' ? (pins.get(parsed.value.uri)?.fingerprint ?? null) : null;
  if (parsed.value.scheme === 'tcp' && fingerprint === null)
    throw new DeckhandError(
      'untrusted_device',
      `${parsed.value.uri} is not confirmed yet. Add it on the Devices screen (or deckhand devices --device URI) and confirm its fingerprint first.`,
    );
  // A serial line can fail to open while the device is still ending the previous session (or a cable
  // is loose for a moment); try again briefly.
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await connectAgent(parsed.value, { fingerprint, timeoutMs: 10_000, clientVersion: version });
    } catch (error) {
      const retry =
        parsed.value.scheme !== 'tcp' && (error as DeckhandError).code === 'link_lost' && attempt < 3;
      if (!retry) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
    }
  }
}

/** The SLO of the newest imported model target matching the installed model (sha256, else name+version). */
export function findSlo(
  bundles: BundlesService,
  model: { name: string; version: string | null; sha256: string | null },
): Slo | null {
  const targets = bundles
    .list()
    .imports.filter((i) => i.status === 'imported')
    .flatMap((i) => i.targets)
    .filter((t) => t.kind === 'model');
  const match =
    (model.sha256 === null ? undefined : targets.find((t) => t.sha256 === model.sha256)) ??
    targets.find((t) => t.name === model.name && (model.version === null || t.version === model.version));
  const parsed = sloSchema.safeParse(match?.custom['slo']);
  return parsed.success ? (parsed.data as Slo) : null;
}
