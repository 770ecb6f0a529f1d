// @vitest-environment jsdom
import './setup';
import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { makeDevice, makeRun, makeTarget } from './fake-bridge';
import { renderApp } from './render-app';

const A = 'tcp://127.0.0.1:7001';
const B = 'tcp://127.0.0.1:7002';
const C = 'tcp://127.0.0.1:7003';

function fleet() {
  return [
    makeDevice(A, {
      identity: { ...makeDevice(A).identity!, serialNumber: 'DEMO-001', hardware: 'jetson-orin' },
    }),
    makeDevice(B, {
      identity: { ...makeDevice(B).identity!, serialNumber: 'DEMO-002', hardware: 'rpi-cm4' },
    }),
    makeDevice(C, {
      identity: { ...makeDevice(C).identity!, serialNumber: 'DEMO-003', hardware: 'x86-ipc' },
    }),
  ];
}

describe('Deploy screen', () => {
  it('says what to do when nothing is imported and no run exists', async () => {
    renderApp({ hash: '#/deploy' });
    expect(screen.getByRole('heading', { level: 1, name: 'Deploy' })).toBeInTheDocument();
    expect(await screen.findByTestId('deploy-no-targets')).toHaveTextContent('Nothing to deploy yet');
    expect(screen.getByRole('link', { name: 'Open Bundles' })).toHaveAttribute('href', '#/bundles');
    expect(await screen.findByTestId('deploy-history-empty')).toBeInTheDocument();
  });

  it('plans with reasons inline, starts only the devices to deploy, and shows live progress', async () => {
    const user = userEvent.setup();
    const { fake } = renderApp({ hash: '#/overview' });
    fake.devices.list = fleet();
    fake.deploy.targets = [
      makeTarget('edge-app', '1.1.0'),
      makeTarget('detector', '1.0.0', { kind: 'model' }),
    ];
    fake.deploy.planOf = (device) =>
      device === C
        ? {
            device,
            action: 'refuse',
            code: 'incompatible',
            reason: 'edge-app 1.1.0 is built for jetson-orin; this device is x86-ipc.',
          }
        : { device, action: 'deploy', code: null, reason: 'edge-app 1.0.0 → 1.1.0' };
    window.location.hash = '#/deploy';

    const target = await screen.findByRole('radio', { name: 'edge-app 1.1.0' });
    expect(screen.getByRole('button', { name: 'Check compatibility' })).toBeDisabled();
    await user.click(target);
    expect(screen.getByText('Choose at least one device.')).toBeInTheDocument();

    // The filter narrows the list; "Select all shown" takes only what is shown.
    await user.type(screen.getByRole('textbox', { name: 'Filter devices' }), 'rpi');
    expect(screen.getAllByTestId('deploy-device')).toHaveLength(1);
    await user.click(screen.getByRole('button', { name: 'Select all shown' }));
    await user.clear(screen.getByRole('textbox', { name: 'Filter devices' }));
    expect(screen.getAllByTestId('deploy-device')).toHaveLength(3);
    await user.click(screen.getByRole('checkbox', { name: `Deploy to ${A}` }));
    await user.click(screen.getByRole('checkbox', { name: `Deploy to ${C}` }));
    expect(screen.getByText('3 of 3 selected')).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Check compatibility' }));
    const rows = await screen.findAllByTestId('deploy-plan-row');
    expect(rows).toHaveLength(3);
    const refused = screen.getByRole('row', { name: `Plan for ${C}` });
    expect(within(refused).getByTestId('deploy-plan-action')).toHaveTextContent('Refused');
    expect(refused).toHaveTextContent('this device is x86-ipc. [incompatible]');
    expect(screen.getByRole('row', { name: `Plan for ${A}` })).toHaveTextContent('Will deploy');

    await user.click(screen.getByRole('button', { name: 'Deploy to 2 devices' }));
    const run = await screen.findByTestId('deploy-run');
    expect(fake.calls.find((c) => c.verb === 'deploy.start')?.input).toEqual({
      target: { importId: 1, path: 'edge-app-1.1.0.tar' },
      devices: [B, A],
    });
    expect(run).toHaveAttribute('data-status', 'running');

    const started = fake.deploy.runs[0]!;
    act(() =>
      fake.emit('deploy.changed', {
        run: {
          ...started,
          devices: started.devices.map((d) => ({ ...d, step: 'transfer', outcome: 'running' })),
        },
      }),
    );
    act(() =>
      fake.emit('progress', {
        jobId: started.id,
        device: A,
        step: 'transfer',
        percent: 50,
        bytes: 131_072,
        bytesPerSec: 1_048_576,
        etaSec: 3,
      }),
    );
    const rowA = screen.getByLabelText(`Run on ${A}`);
    expect(within(rowA).getByTestId('deploy-device-step')).toHaveTextContent(
      'Sending · 128.0 KiB (50%) · 1.0 MiB/s · 3 s left',
    );
    expect(within(rowA).getByRole('progressbar', { name: `Progress of ${A}` })).toHaveAttribute(
      'aria-valuenow',
      '50',
    );
    // Progress of another job (an import) is not mistaken for the run's.
    act(() =>
      fake.emit('progress', {
        jobId: 'import-1',
        step: 'copy',
        percent: 10,
        bytes: 1,
        bytesPerSec: 1,
        etaSec: 1,
      }),
    );
    expect(screen.getByRole('button', { name: 'Cancel run' })).toBeEnabled();
    await user.click(screen.getByRole('button', { name: 'Cancel run' }));
    expect(fake.calls.find((c) => c.verb === 'deploy.cancel')?.input).toEqual({ runId: started.id });
  });

  it('summarises a finished run with reasons, retries the failed and rolls back a device left after install', async () => {
    const user = userEvent.setup();
    const target = makeTarget('edge-app', '1.2.0');
    const { fake } = renderApp({ hash: '#/overview' });
    fake.devices.list = fleet();
    fake.deploy.targets = [target];
    fake.deploy.runs = [
      makeRun(
        'run-9',
        target,
        [
          { device: A, outcome: 'committed', step: 'done', reason: 'Committed slot b.' },
          {
            device: B,
            outcome: 'rolled_back',
            step: 'done',
            errorCode: 'health_failed',
            reason: 'The health check failed: camera /dev/video0 missing',
          },
          {
            device: C,
            outcome: 'failed',
            step: 'reboot',
            errorCode: 'no_reconnect',
            reason: 'The device did not come back within 120 s after rebooting.',
          },
        ],
        { status: 'finished', finishedAt: '2026-01-01T00:05:00.000Z' },
      ),
    ];
    window.location.hash = '#/deploy';

    const run = await screen.findByTestId('deploy-run');
    expect(within(run).getByTestId('deploy-summary')).toHaveTextContent('1 committed');
    expect(within(run).getByTestId('deploy-summary')).toHaveTextContent('1 rolled back');
    expect(within(run).getByTestId('deploy-summary')).toHaveTextContent('1 failed');
    const rowB = within(run).getByLabelText(`Run on ${B}`);
    expect(within(rowB).getByTestId('deploy-device-outcome')).toHaveTextContent('Rolled back');
    expect(within(rowB).getByTestId('deploy-device-reason')).toHaveTextContent(
      'The health check failed: camera /dev/video0 missing [health_failed]',
    );
    const rowC = within(run).getByLabelText(`Run on ${C}`);
    expect(within(rowC).getByTestId('deploy-device-reason')).toHaveTextContent(
      'Failed at rebooting: The device did not come back within 120 s after rebooting. [no_reconnect]',
    );
    // A committed release raised the device's anti-rollback counter: no rollback is offered for it.
    expect(within(run).queryByRole('button', { name: `Roll back ${A}` })).toBeNull();
    expect(screen.getAllByTestId('deploy-history-row')).toHaveLength(1);

    await user.click(within(run).getByRole('button', { name: `Roll back ${C}` }));
    expect(await screen.findByTestId('deploy-notice')).toHaveTextContent(
      `${C}: Rolled back to slot a (edge-app 1.0.0).`,
    );
    expect(within(run).queryByRole('button', { name: `Roll back ${C}` })).toBeNull();
    expect(fake.calls.find((c) => c.verb === 'deploy.rollback')?.input).toEqual({
      device: C,
      target: { importId: 1, path: 'edge-app-1.2.0.tar' },
    });

    await user.click(within(run).getByRole('button', { name: 'Retry 2 not committed' }));
    await waitFor(() => expect(screen.getAllByTestId('deploy-history-row')).toHaveLength(2));
    expect(fake.calls.find((c) => c.verb === 'deploy.retry')?.input).toEqual({ runId: 'run-9' });
    expect(screen.getByTestId('deploy-run')).toHaveAttribute('data-status', 'running');
    expect(screen.getByTestId('deploy-run')).toHaveTextContent('edge-app 1.2.0 on 2 devices');

    // The history switches the run shown.
    await user.click(screen.getAllByRole('button', { name: /^Show run of edge-app 1.2.0/ })[1]!);
    expect(screen.getByTestId('deploy-run')).toHaveAttribute('data-status', 'finished');
  });

  it('shows a coded error when the plan cannot be made', async () => {
    const user = userEvent.setup();
    const { fake } = renderApp({ hash: '#/overview' });
    fake.devices.list = fleet();
    fake.deploy.targets = [makeTarget('edge-app', '1.1.0')];
    (fake.api as unknown as Record<string, unknown>)['deploy.plan'] = () =>
      Promise.resolve({
        ok: false,
        error: { code: 'not_found', message: 'The bundle is gone; import it again.' },
      });
    window.location.hash = '#/deploy';
    await user.click(await screen.findByRole('radio', { name: 'edge-app 1.1.0' }));
    await user.click(await screen.findByRole('checkbox', { name: `Deploy to ${A}` }));
    await user.click(screen.getByRole('button', { name: 'Check compatibility' }));
    expect(await screen.findByTestId('deploy-error')).toHaveTextContent(
      'The bundle is gone; import it again. [not_found]',
    );
  });
});
