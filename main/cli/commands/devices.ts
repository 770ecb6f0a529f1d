/**
 * `deckhand devices --device URI …`: connects to each agent and prints its identity and slot state.
 * TLS devices must be pinned: the first contact prints the certificate fingerprint and stops unless
 * `--accept-new` (pin what is seen, after comparing it with the device's own display) or
 * `--trust-fingerprint FP` (pin a fingerprint known in advance) is given. Pins live in the data
 * folder's devices/pins.json. `--scan [--timeout 3s] [--interface ADDR]` lists candidates from mDNS,
 * serial ports and USB (devices-scan.ts).
 */
import { parseAgentUri, type AgentUri } from '../../../core/device-uri/device-uri';
import type { DeviceIdentity, DeviceStatus } from '../../../core/protocol/messages';
import { DeckhandError, toErrorData, type AppErrorData } from '../../../core/result';
import { connectAgent, normaliseFingerprint } from '../../adapters/agent-client/agent-connection';
import { DevicePins } from '../../services/devices/device-pins';
import { EXIT, printJson } from '../cli-io';
import { cliDiscoverySources, describeCandidates, parseScanTimeout, scanDevices } from './devices-scan';
import { parseCommandArgs, type CommandContext } from '../main';

type DeviceReport =
  | { uri: string; ok: true; fingerprint: string | null; identity: DeviceIdentity; status: DeviceStatus }
  | { uri: string; ok: false; error: AppErrorData };

/** Identifies each device given with --device. */
export async function runDevicesCommand(context: CommandContext): Promise<number> {
  const { values } = parseCommandArgs(
    context.args,
    {
      device: { type: 'string', multiple: true, default: [] },
      'trust-fingerprint': { type: 'string' },
      'accept-new': { type: 'boolean', default: false },
      scan: { type: 'boolean', default: false },
      timeout: { type: 'string', default: '3s' },
      interface: { type: 'string' },
    },
    false,
  );
  const scan = values.scan
    ? await scanDevices(parseScanTimeout(values.timeout), cliDiscoverySources(values.interface))
    : null;
  if (scan !== null && values.device.length === 0) {
    if (context.json) printJson(context.io, { ok: true, ...scan });
    else context.io.stdout.write(describeCandidates(scan.candidates));
    return EXIT.ok;
  }
  if (scan !== null && !context.json) context.io.stdout.write(describeCandidates(scan.candidates));
  if (values.device.length === 0)
    throw new DeckhandError(
      'usage',
      'Name at least one device (deckhand devices --device tcp://HOST:PORT) or --scan.',
    );
  if (values['trust-fingerprint'] !== undefined && values.device.length > 1)
    throw new DeckhandError('usage', '--trust-fingerprint applies to one --device at a time.');
  const pins = new DevicePins(context.dataDir);
  const reports: DeviceReport[] = [];
  for (const text of values.device) {
    const parsed = parseAgentUri(text);
    if (!parsed.ok) {
      reports.push({ uri: text, ok: false, error: parsed.error });
      continue;
    }
    try {
      reports.push(
        await identify(
          parsed.value,
          pins,
          values['trust-fingerprint'],
          values['accept-new'],
          context.version,
        ),
      );
    } catch (error) {
      reports.push({ uri: parsed.value.uri, ok: false, error: toErrorData(error) });
    }
  }
  const allOk = reports.every((r) => r.ok);
  if (context.json) {
    printJson(context.io, {
      ...(allOk ? { ok: true } : { ok: false, error: firstError(reports) }),
      devices: reports,
      ...(scan === null ? {} : scan),
    });
  } else {
    for (const report of reports) context.io.stdout.write(describe(report));
  }
  return allOk ? EXIT.ok : EXIT.failure;
}

async function identify(
  uri: AgentUri,
  pins: DevicePins,
  trustFingerprint: string | undefined,
  acceptNew: boolean,
  version: string,
): Promise<DeviceReport> {
  const pinned = uri.scheme === 'tcp' ? pins.get(uri.uri)?.fingerprint : undefined;
  const expected = pinned ?? trustFingerprint ?? null;
  if (uri.scheme === 'tcp' && expected === null && !acceptNew) {
    // First contact: learn the fingerprint, say nothing else to an unconfirmed device.
    const probe = await connectAgent(uri, { fingerprint: null, clientVersion: version });
    const seen = probe.fingerprint ?? '';
    probe.close();
    throw new DeckhandError(
      'untrusted_device',
      `First contact with ${uri.uri}: its certificate fingerprint is ${seen}. Compare it with the one the device shows, then run again with --accept-new (or --trust-fingerprint ${seen}).`,
      { fingerprint: seen },
    );
  }
  const client = await connectAgent(uri, { fingerprint: expected, clientVersion: version });
  try {
    const status = await client.status();
    const identity = client.hello.identity;
    if (
      uri.scheme === 'tcp' &&
      client.fingerprint !== null &&
      (pinned === undefined || normaliseFingerprint(pinned) !== normaliseFingerprint(client.fingerprint))
    ) {
      pins.set(uri.uri, {
        fingerprint: client.fingerprint,
        serialNumber: identity.serialNumber,
        pinnedAt: new Date().toISOString(),
      });
    }
    return { uri: uri.uri, ok: true, fingerprint: client.fingerprint, identity, status };
  } finally {
    client.close();
  }
}

function firstError(reports: readonly DeviceReport[]): AppErrorData {
  for (const r of reports) if (!r.ok) return r.error;
  return { code: 'internal', message: 'unreachable' };
}

function describe(report: DeviceReport): string {
  if (!report.ok) return `${report.uri}\n  error: ${report.error.message} [${report.error.code}]\n`;
  const { identity: id, status: s } = report;
  const slot = (name: 'a' | 'b'): string => {
    const release = s.slots[name];
    const marks = [
      s.booted === name && 'booted',
      s.confirmed === name && 'confirmed',
      s.pending === name && (s.trial ? 'on trial' : 'pending'),
    ]
      .filter(Boolean)
      .join(', ');
    return `  slot ${name}: ${release ? `${release.name} ${release.version}` : '(empty)'}${marks ? ` [${marks}]` : ''}\n`;
  };
  return [
    `${report.uri}\n`,
    `  ${id.serialNumber}  ${id.hardware}  agent ${id.agentVersion}  ${(id.freeBytes / 1e9).toFixed(1)} GB free\n`,
    ...(report.fingerprint ? [`  fingerprint ${report.fingerprint}\n`] : []),
    slot('a'),
    slot('b'),
    `  anti-rollback counter ${s.counter}; ${s.models.length} model(s); trust root ${id.trustRootPinned ? 'pinned' : 'NOT pinned'}\n`,
  ].join('');
}
