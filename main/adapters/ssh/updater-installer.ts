/**
 * The contract between the SSH session and a device's own updater (RAUC, Mender, SWUpdate) or the
 * plain `copy` installer. The session uploads the artifact to the device and verifies its sha256;
 * the installer then drives the updater through a RemoteShell (ARCHITECTURE.md § Devices).
 */
import type { SshInstaller } from '../../../core/device-uri/device-uri';
import type {
  Capability,
  DeployTarget,
  DeviceSnapshot,
  StepOutcome,
} from '../../services/deploy/device-session';
import type { RemoteShell } from './remote-shell';

/** What an installer reads from the device; hardware and serialNumber are optional (null or absent: unknown). */
export type InstallerSnapshot = Pick<DeviceSnapshot, 'releases' | 'trial'> &
  Partial<Pick<DeviceSnapshot, 'hardware' | 'serialNumber'>>;

/** Drives one updater on the device. Methods throw DeckhandError with a technician-readable message. */
export interface UpdaterInstaller {
  readonly name: SshInstaller;
  /** What beyond upload and verify it can do: a subset of install, reboot, health, commit, rollback. */
  readonly capabilities: readonly Capability[];
  /**
   * Reads what the updater reports as installed and whether a release runs on trial, and the
   * hardware identity the updater knows (RAUC `compatible`, Mender `device_type`, SWUpdate
   * hwrevision) when it knows one: the planner refuses a device whose hardware is null.
   */
  snapshot(shell: RemoteShell): Promise<InstallerSnapshot>;
  /** Installs the uploaded artifact at `remotePath`; reports 0–100 through `onPercent`; does not reboot. */
  install(
    shell: RemoteShell,
    remotePath: string,
    target: DeployTarget,
    onPercent: (percent: number) => void,
    signal: AbortSignal,
  ): Promise<StepOutcome>;
  /** Confirms the release running on trial. */
  commit(shell: RemoteShell, target: DeployTarget): Promise<StepOutcome>;
  /** Returns to the last confirmed release (may need a reboot, which the session does after). */
  rollback(shell: RemoteShell, reason: string): Promise<StepOutcome>;
  /**
   * The updater's own health check, used when the target names no `install.health` command
   * (the session runs that command itself). Absent: the session's default health command.
   */
  health?(
    shell: RemoteShell,
    target: DeployTarget,
  ): Promise<{ readonly healthy: boolean; readonly detail: string }>;
}

/** Settings an installer factory receives from the connector. */
export interface InstallerOptions {
  /** The session's remote staging folder (for state files the installer keeps on the device). */
  readonly stagingDir?: string;
  /** Extra settings per installer (e.g. a rauc binary path), from the connector's options. */
  readonly settings?: Readonly<Record<string, unknown>>;
}

/** Creates an installer. */
export type InstallerFactory = (options: InstallerOptions) => UpdaterInstaller;

/** One install parameter of a target (HQ signs them as `install.params.KEY`). */
export function installParam(target: Pick<DeployTarget, 'install'>, key: string): unknown {
  return target.install.params[key];
}

/** A string install parameter, or null when absent or empty. */
export function installText(target: Pick<DeployTarget, 'install'>, key: string): string | null {
  const value = installParam(target, key);
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}
