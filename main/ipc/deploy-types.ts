/**
 * The shapes the Deploy verbs return and the deploy progress events carry. Plain data, free of Node
 * and Electron; contract.ts re-exports them for the renderer.
 */
import type { DoraMetrics } from '../../core/dora/dora';
import type { ProgressRecord } from '../../core/progress/progress-meter';

/** Steps of one device's deploy, in order. */
export const DEPLOY_STEPS = [
  'queued',
  'connecting',
  'transfer',
  'verify',
  'install',
  'reboot',
  'health',
  'commit',
  'rollback',
  'done',
] as const;
export type DeployStep = (typeof DEPLOY_STEPS)[number];

/** Where a device stands in a run. */
export type DeviceOutcome =
  'pending' | 'running' | 'committed' | 'rolled_back' | 'failed' | 'refused' | 'cancelled';

/** The target a run deploys. */
export interface DeployTargetView {
  readonly path: string;
  readonly kind: 'release' | 'model' | 'policy';
  readonly name: string;
  readonly version: string;
  readonly sha256: string;
  readonly length: number;
  readonly importId: number;
  /** When HQ built it (for DORA lead time), if the bundle says. */
  readonly createdAt?: string | undefined;
}

/** A target that can be deployed, from the newest import that holds it. */
export interface DeployableTarget extends DeployTargetView {
  readonly hardware: readonly string[];
  readonly installMethod: string;
  readonly bundleExpires: string | null;
}

/** One device in a run. */
export interface DeployDeviceView {
  readonly device: string;
  readonly step: DeployStep;
  readonly outcome: DeviceOutcome;
  readonly errorCode: string | null;
  /** Why it failed, was refused or rolled back, in the technician's words; or what happened. */
  readonly reason: string | null;
  readonly updatedAt: string;
  /** The latest progress record (live runs only). */
  readonly progress: ProgressRecord | null;
}

/** A deploy run. */
export interface DeployRunView {
  readonly id: string;
  readonly createdAt: string;
  readonly target: DeployTargetView;
  readonly concurrency: number;
  readonly status: 'running' | 'finished' | 'cancelled';
  readonly finishedAt: string | null;
  readonly devices: readonly DeployDeviceView[];
}

/** The plan shown before a run starts. */
export interface DeployPlanView {
  readonly target: DeployTargetView;
  readonly devices: readonly {
    readonly device: string;
    readonly action: 'deploy' | 'skip' | 'refuse';
    readonly code: string | null;
    readonly reason: string | null;
  }[];
}

/** The Overview screen: the latest deploy outcome per device and DORA metrics per window. */
export interface OverviewView {
  readonly devices: readonly {
    readonly device: string;
    readonly runId: string;
    readonly target: DeployTargetView;
    readonly outcome: DeviceOutcome;
    readonly updatedAt: string;
  }[];
  readonly dora: readonly { readonly windowDays: number; readonly fleet: DoraMetrics }[];
}
