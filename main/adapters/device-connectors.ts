/**
 * Every device adapter the deploy engine and the device list can use, in one list the backend
 * builds. Each adapter declares the URI schemes it serves (ARCHITECTURE.md § Devices).
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { DeviceConnector } from '../services/deploy/device-session';
import { AgentConnector } from './agent-client/agent-session';
import { SmpConnector } from './smp/smp-connector';
import { SshConnector, sshSessionSettingsFromEnv } from './ssh/ssh-connector';
import { SwupdateWebConnector, swupdateWebOptionsFromEnv } from './swupdate-web/swupdate-web-connector';
import { createUsbConnector } from './usb/usb-connector';

/** Options shared by the adapters. */
export interface DeviceConnectorOptions {
  readonly clientVersion: string;
  /** The data folder (the technician's SSH key may live in keys/ssh_ed25519). */
  readonly dataDir: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** The adapters of this build. */
export function createDeviceConnectors(options: DeviceConnectorOptions): DeviceConnector[] {
  const env = options.env ?? process.env;
  const sshKey = technicianSshKey(options.dataDir, env);
  return [
    new AgentConnector({ clientVersion: options.clientVersion }),
    new SshConnector({
      ...(sshKey ? { privateKeyPath: sshKey } : {}),
      ...(env['SSH_AUTH_SOCK'] ? { agentSocket: env['SSH_AUTH_SOCK'] } : {}),
      session: sshSessionSettingsFromEnv(env),
    }),
    new SwupdateWebConnector(swupdateWebOptionsFromEnv(env)),
    createUsbConnector(),
    new SmpConnector(),
  ];
}

/**
 * The technician's SSH key: DECKHAND_SSH_KEY, else `keys/ssh_ed25519` in the data folder, else
 * ~/.ssh/id_ed25519; ssh-agent (SSH_AUTH_SOCK) is offered as well.
 */
export function technicianSshKey(dataDir: string, env: NodeJS.ProcessEnv): string | null {
  const candidates = [
    env['DECKHAND_SSH_KEY'],
    join(dataDir, 'keys', 'ssh_ed25519'),
    join(homedir(), '.ssh', 'id_ed25519'),
  ];
  return (
    candidates.find((path): path is string => path !== undefined && path !== '' && existsSync(path)) ?? null
  );
}
