/** How deploy facts read on screen: outcomes, steps, actions and durations. */
import type { DeployPlanView, DeviceOutcome, DeviceView } from '../../bridge';
import { assertNever } from '../../ui/assert-never';

/** Badge colours the deploy screens use. */
export type ToneColor = 'green' | 'amber' | 'red' | 'gray' | 'blue';

/** The words and colour of a device's outcome. */
export function describeOutcome(outcome: DeviceOutcome): {
  readonly label: string;
  readonly color: ToneColor;
} {
  switch (outcome) {
    case 'pending':
      return { label: 'Waiting', color: 'gray' };
    case 'running':
      return { label: 'Running', color: 'blue' };
    case 'committed':
      return { label: 'Committed', color: 'green' };
    case 'rolled_back':
      return { label: 'Rolled back', color: 'amber' };
    case 'failed':
      return { label: 'Failed', color: 'red' };
    case 'refused':
      return { label: 'Refused', color: 'red' };
    case 'cancelled':
      return { label: 'Cancelled', color: 'gray' };
    default:
      return assertNever(outcome);
  }
}

/** The words of a deploy step (steps come from the engine as plain strings in progress records). */
export function describeDeployStep(step: string): string {
  const words: Record<string, string> = {
    queued: 'Queued',
    starting: 'Starting',
    connecting: 'Connecting',
    transfer: 'Sending',
    verify: 'Device verifying',
    install: 'Installing',
    reboot: 'Rebooting',
    health: 'Health check',
    commit: 'Committing',
    rollback: 'Rolling back',
    done: 'Done',
    failed: 'Stopped',
    cancelled: 'Cancelled',
  };
  return words[step] ?? step;
}

/** The words and colour of a planned action. */
export function describeAction(action: DeployPlanView['devices'][number]['action']): {
  readonly label: string;
  readonly color: ToneColor;
} {
  switch (action) {
    case 'deploy':
      return { label: 'Will deploy', color: 'green' };
    case 'skip':
      return { label: 'Skip', color: 'gray' };
    case 'refuse':
      return { label: 'Refused', color: 'red' };
    default:
      return assertNever(action);
  }
}

/** "45 s", "12 min", "3.5 h", "2.1 days"; an em dash when unknown. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86_400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} days`;
}

/** A device as the technician knows it: serial number and hardware when known, else its address. */
export function deviceName(uri: string, devices: readonly DeviceView[] | null): string {
  const identity = devices?.find((d) => d.uri === uri)?.identity;
  return identity ? `${identity.serialNumber} · ${identity.hardware}` : uri;
}
