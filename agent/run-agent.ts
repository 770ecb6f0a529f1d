/**
 * Starts the device agent: the DeviceAgent behind a TLS 1.3 listener (certificate from the device
 * key) and, optionally, a serial line carrying the reliable link. Every connection or serial session
 * gets its own message session; state-changing verbs are serialised inside the agent.
 */
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { ReliableLink } from '../core/protocol/reliable-link';
import { PAYLOAD_CRC_OPTIONAL_SINCE } from '../core/protocol/messages';
import { RpcPeer } from '../core/protocol/rpc-peer';
import { DeckhandError } from '../core/result';
import type { AgentHooks } from './agent-hooks';
import { DeviceAgent, agentVersion } from './device-agent';
import { isLoopbackHost, startAdvertiser, type Advertiser } from './mdns-advertiser';
import { openSerialStream, type SerialStream } from '../core/node-io/serial-stream';
import { OnDeviceDiagnostics } from './diagnostics/on-device-diagnostics';
import { createSystemSampler, type SystemSampler } from './diagnostics/system-sampler';
import { startInferenceServer, type InferenceServer } from './inference/inference-server';
import { ModelHost, type ModelHostOptions } from './inference/model-host';

/** How to start an agent. */
export interface RunAgentOptions {
  readonly stateDir: string;
  /** `HOST:PORT` to listen on with TLS (port 0 picks a free one); omit for serial only. */
  readonly listen?: string;
  readonly serialPath?: string;
  readonly hardware: string;
  readonly serialNumber: string;
  readonly trustRoot?: string;
  readonly hooks?: AgentHooks;
  readonly onLog?: (line: string) => void;
  /** Closes a session after this long without traffic (default 60 s; laptops ping every 5 s). */
  readonly idleTimeoutMs?: number;
  /** Advertise `_deckhand._tcp` over mDNS (default: when listening on a non-loopback address). */
  readonly advertise?: boolean;
  /**
   * The OIP inference server: `HOST:PORT` to listen on (default: the --listen host, or 127.0.0.1,
   * on a free port), or false for none.
   */
  readonly inferenceListen?: string | false;
  /** Execution provider preference and threads of the inference sessions. */
  readonly inference?: Pick<ModelHostOptions, 'executionProvider' | 'intraOpNumThreads'>;
  /** GPU/system statistics sampler for diagnostics (default: createSystemSampler()). */
  readonly sampler?: SystemSampler | null;
}

/** A running agent. */
export interface RunningAgent {
  readonly agent: DeviceAgent;
  /** The TLS listener's address, when listening. */
  readonly address: { readonly host: string; readonly port: number } | null;
  /** SHA-256 fingerprint of the TLS certificate, for the laptop to pin. */
  readonly fingerprint: string;
  /** The OIP inference server's URL, or null when it does not run. */
  readonly inferenceUrl: string | null;
  close(): Promise<void>;
}

/** Starts the agent and resolves once it listens. */
export async function runAgent(options: RunAgentOptions): Promise<RunningAgent> {
  const agent = new DeviceAgent(options);
  const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
  const sockets = new Set<TLSSocket>();
  let server: Server | null = null;
  let address: RunningAgent['address'] = null;
  let advertiser: Advertiser | null = null;

  if (options.listen !== undefined) {
    const { host, port } = parseListen(options.listen);
    server = createServer(
      { key: agent.key.privateKeyPem, cert: agent.key.certificatePem, minVersion: 'TLSv1.3' },
      (socket) => {
        sockets.add(socket);
        socket.setNoDelay(true);
        const peer = new RpcPeer({
          write: (bytes) => {
            if (!socket.destroyed) socket.write(bytes);
          },
          closeTransport: () => socket.destroy(),
          handler: agent.createSession((version) => {
            if (version >= PAYLOAD_CRC_OPTIONAL_SINCE) peer.omitPayloadCrc();
          }),
          idleTimeoutMs,
        });
        socket.on('data', (chunk: Buffer) => peer.receive(chunk));
        socket.on('error', () => undefined);
        socket.on('close', () => {
          sockets.delete(socket);
          peer.close();
        });
      },
    );
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve, reject) => {
      server?.once('error', reject);
      server?.listen(port, host, () => resolve());
    });
    const bound = server.address();
    if (bound !== null && typeof bound === 'object') address = { host, port: bound.port };
    agent.log.info(`listening on ${host}:${address?.port} (TLS 1.3, fingerprint ${agent.key.fingerprint})`);
    if (address !== null && (options.advertise ?? !isLoopbackHost(host))) {
      advertiser = await startAdvertiser({
        listenHost: host,
        port: address.port,
        serialNumber: options.serialNumber,
        hardware: options.hardware,
        agentVersion: agentVersion(),
      });
      agent.log.info(`advertising ${advertiser.advert.instance} over mDNS`);
    }
  }

  let inference: InferenceServer | null = null;
  let models: ModelHost | null = null;
  let sampler: SystemSampler | null = null;
  let diagnostics: OnDeviceDiagnostics | null = null;
  if (options.inferenceListen !== false) {
    const { host, port } =
      options.inferenceListen === undefined
        ? { host: options.listen === undefined ? '127.0.0.1' : parseListen(options.listen).host, port: 0 }
        : parseListen(options.inferenceListen);
    models = new ModelHost({
      stateDir: options.stateDir,
      ...options.inference,
      onLog: (line) => agent.log.info(line),
    });
    inference = await startInferenceServer({ host, port, models, version: agentVersion() });
    agent.log.info(`inference server (Open Inference Protocol) on ${inference.url}`);
    sampler = options.sampler === undefined ? await createSystemSampler() : options.sampler;
    await sampler?.start();
    const server = inference;
    const loopbackHost =
      isLoopbackHost(host) || host === '0.0.0.0' || host === '::' ? loopbackOf(host) : host;
    diagnostics = new OnDeviceDiagnostics({
      models,
      inferenceUrl: () =>
        `http://${loopbackHost.includes(':') ? `[${loopbackHost}]` : loopbackHost}:${server.port}`,
      publicPort: () => server.port,
      sampler,
      onLog: (line) => agent.log.info(line),
    });
    agent.attachDiagnostics(diagnostics);
  }

  let closing = false;
  let serial: SerialStream | null = null;
  let serialPeer: RpcPeer | null = null;
  if (options.serialPath !== undefined) {
    const link = new ReliableLink({
      role: 'responder',
      write: (bytes) => serial?.write(bytes),
      onOpen: () => {
        serialPeer?.close();
        const peer = new RpcPeer({
          write: (bytes) => {
            if (link.isOpen) link.send(bytes);
          },
          closeTransport: () => undefined,
          handler: agent.createSession((version) => {
            if (version >= PAYLOAD_CRC_OPTIONAL_SINCE) peer.omitPayloadCrc();
          }),
          idleTimeoutMs,
        });
        serialPeer = peer;
      },
      onData: (bytes) => serialPeer?.receive(bytes),
      onClose: () => {
        serialPeer?.close();
        serialPeer = null;
      },
    });
    serial = openSerialStream(
      options.serialPath,
      (chunk) => link.receive(chunk),
      // A pty or port torn down after close() still reports an error; the agent no longer logs then.
      (error) => {
        if (!closing) agent.log.info(`serial line error: ${error.message}`);
      },
    );
    agent.log.info(`listening on serial ${options.serialPath}`);
  }

  return {
    agent,
    address,
    fingerprint: agent.key.fingerprint,
    inferenceUrl: inference?.url ?? null,
    close: async () => {
      closing = true;
      await diagnostics?.stopAll();
      await sampler?.stop().catch(() => undefined);
      await inference?.close();
      await models?.close();
      await advertiser?.stop();
      serialPeer?.close();
      serial?.close();
      for (const socket of sockets) socket.destroy();
      if (server) await new Promise<void>((resolve) => server?.close(() => resolve()));
      await agent.close();
    },
  };
}

/** The loopback address of the family a wildcard or loopback host belongs to. */
function loopbackOf(host: string): string {
  return host.includes(':') ? '::1' : '127.0.0.1';
}

/** Parses `HOST:PORT` (IPv6 in brackets). */
export function parseListen(text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (!match || port > 65535) throw new DeckhandError('usage', `--listen wants HOST:PORT, not "${text}".`);
  return { host: match[1] ?? match[2] ?? '127.0.0.1', port };
}
