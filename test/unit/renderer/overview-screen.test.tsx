// @vitest-environment jsdom
import './setup';
import { act, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { makeDevice, makeRun, makeTarget } from './fake-bridge';
import { renderApp } from './render-app';

const EMPTY_METRICS = {
  deployments: 0,
  failures: 0,
  deploymentsPerDay: 0,
  changeFailureRate: null,
  leadTimeMedianSec: null,
  timeToRestoreMedianSec: null,
};

describe('Overview screen', () => {
  it('says plainly that nothing has been deployed yet', async () => {
    const { fake } = renderApp({ hash: '#/deploy' });
    fake.deploy.overview = {
      devices: [],
      dora: [7, 30, 90].map((windowDays) => ({ windowDays, fleet: EMPTY_METRICS })),
    };
    window.location.hash = '#/overview';
    expect(await screen.findByTestId('overview-devices-empty')).toHaveTextContent(
      'No device has been deployed to from this laptop yet.',
    );
    expect(screen.getByRole('link', { name: 'Open Deploy' })).toHaveAttribute('href', '#/deploy');
    const cards = screen.getAllByTestId('dora-card');
    expect(cards.map((c) => within(c).getByRole('heading').textContent)).toEqual([
      'Last 7 days',
      'Last 30 days',
      'Last 90 days',
    ]);
    expect(within(cards[2]!).getByTestId('dora-empty')).toHaveTextContent('No deploys in the last 90 days');
  });

  it('shows the latest state of each device and the four DORA keys, and reloads when a run ends', async () => {
    const target = makeTarget('edge-app', '1.2.0');
    const { fake } = renderApp({ hash: '#/deploy' });
    fake.devices.list = [makeDevice('tcp://127.0.0.1:7001')];
    fake.deploy.overview = {
      devices: [
        {
          device: 'tcp://127.0.0.1:7001',
          runId: 'run-1',
          target,
          outcome: 'rolled_back',
          updatedAt: '2026-01-01T00:00:00.000Z',
        },
      ],
      dora: [7, 30, 90].map((windowDays) => ({
        windowDays,
        fleet: {
          deployments: 8,
          failures: 2,
          deploymentsPerDay: 6 / windowDays,
          changeFailureRate: 0.25,
          leadTimeMedianSec: 3600,
          timeToRestoreMedianSec: 90,
        },
      })),
    };
    window.location.hash = '#/overview';
    const row = await screen.findByRole('row', { name: 'Latest deploy on tcp://127.0.0.1:7001' });
    expect(row).toHaveTextContent('SN-1 · jetson-orin');
    expect(row).toHaveTextContent('edge-app 1.2.0');
    expect(within(row).getByTestId('overview-device-outcome')).toHaveTextContent('Rolled back');
    const week = screen.getByLabelText('Last 7 days');
    expect(week).toHaveTextContent('Deployment frequency0.86 a day (8 deploys)');
    expect(week).toHaveTextContent('Lead time (median)1.0 h');
    expect(week).toHaveTextContent('Change fail rate25 % (2 failed or rolled back)');
    expect(week).toHaveTextContent('Time to restore (median)2 min');

    const before = fake.calls.filter((c) => c.verb === 'overview.summary').length;
    act(() =>
      fake.emit('deploy.changed', {
        run: makeRun('run-2', target, [
          { device: 'tcp://127.0.0.1:7001', outcome: 'committed', step: 'done' },
        ]),
      }),
    );
    await waitFor(() =>
      expect(fake.calls.filter((c) => c.verb === 'overview.summary').length).toBe(before + 1),
    );
  });
});
