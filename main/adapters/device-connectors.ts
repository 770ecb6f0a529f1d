/**
 * Every device adapter the deploy engine can use, in one list the composition roots pass in.
 * Each adapter declares the URI schemes it serves (ARCHITECTURE.md § Devices).
 */
import type { DeviceConnector } from '../services/deploy/device-session';
import { AgentConnector } from './agent-client/agent-session';

/** Options shared by the adapters. */
export interface DeviceConnectorOptions {
  readonly clientVersion: string;
  /** The data folder (technician SSH key, known hosts). */
  readonly dataDir: string;
}

/** The adapters of this build. */
export function createDeviceConnectors(options: DeviceConnectorOptions): DeviceConnector[] {
  return [new AgentConnector({ clientVersion: options.clientVersion })];
}
