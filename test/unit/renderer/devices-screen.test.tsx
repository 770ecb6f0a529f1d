// @vitest-environment jsdom
import './setup';
import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { makeDevice } from './fake-bridge';
import { renderApp } from './render-app';

describe('Devices screen', () => {
  it('says how to get started when there are no devices', async () => {
    renderApp({ hash: '#/devices' });
    expect(screen.getByRole('heading', { level: 1, name: 'Devices' })).toBeInTheDocument();
    expect(await screen.findByTestId('devices-empty')).toHaveTextContent(
      'No devices yet. Add one by address above, or run npm run demo',
    );
  });

  it('adds a device by address, shows the first-contact fingerprint, and pins it only on Trust', async () => {
    const user = userEvent.setup();
    const { fake } = renderApp({ hash: '#/devices' });
    await screen.findByTestId('devices-empty');
    await user.type(screen.getByRole('textbox', { name: 'Device address' }), 'tcp://10.0.0.5:7878');
    await user.keyboard('{Enter}');
    const card = await screen.findByTestId('device-card');
    expect(card).toHaveAccessibleName('Device tcp://10.0.0.5:7878');
    expect(within(card).getByTestId('device-state')).toHaveTextContent('Needs confirmation');
    expect(within(card).getByTestId('device-first-contact')).toHaveTextContent(
      'Confirm this fingerprint matches the device’s label or console',
    );
    expect(within(card).getByTestId('device-fingerprint')).toHaveTextContent(fake.devices.fingerprint);
    expect(fake.calls.some((c) => c.verb === 'devices.confirmFingerprint')).toBe(false);

    await user.click(within(card).getByRole('button', { name: 'Trust' }));
    await waitFor(() => expect(within(card).getByTestId('device-state')).toHaveTextContent('Online'));
    expect(fake.calls.find((c) => c.verb === 'devices.confirmFingerprint')?.input).toEqual({
      uri: 'tcp://10.0.0.5:7878',
      fingerprint: fake.devices.fingerprint,
    });
    expect(within(card).getByTestId('device-slot-a')).toHaveTextContent('edge-app 1.0.0');
    expect(within(card).getByTestId('device-slot-a')).toHaveTextContent('confirmed');
    expect(within(card).getByText('Healthy')).toBeInTheDocument();
  });

  it('cancels a first contact by removing the device', async () => {
    const user = userEvent.setup();
    const { fake } = renderApp({ hash: '#/devices' });
    await screen.findByTestId('devices-empty');
    await user.type(screen.getByRole('textbox', { name: 'Device address' }), 'tcp://10.0.0.6:7878');
    await user.click(screen.getByRole('button', { name: 'Add device' }));
    await user.click(await screen.findByRole('button', { name: 'Cancel' }));
    expect(await screen.findByTestId('devices-empty')).toBeInTheDocument();
    expect(fake.calls.find((c) => c.verb === 'devices.remove')?.input).toEqual({
      uri: 'tcp://10.0.0.6:7878',
    });
  });

  it('shows a refused device with its coded error, and live updates from events', async () => {
    const { fake } = renderApp({ hash: '#/devices' });
    await screen.findByTestId('devices-empty');
    act(() =>
      fake.emit('devices.changed', {
        devices: [
          makeDevice('tcp://10.0.0.7:7878', {
            state: 'error',
            identity: null,
            status: null,
            seenFingerprint: '99:88',
            error: { code: 'untrusted_device', message: 'The device presented a different certificate.' },
          }),
          makeDevice('serial:///dev/ttyUSB0?baud=115200', {
            state: 'offline',
            error: { code: 'link_lost', message: 'The serial link did not open.' },
          }),
        ],
      }),
    );
    const cards = await screen.findAllByTestId('device-card');
    expect(cards).toHaveLength(2);
    expect(within(cards[0]!).getByTestId('device-state')).toHaveTextContent('Refused');
    expect(cards[0]).toHaveTextContent('[untrusted_device]');
    expect(within(cards[0]!).getByRole('button', { name: 'Trust the new fingerprint' })).toBeInTheDocument();
    expect(within(cards[1]!).getByTestId('device-state')).toHaveTextContent('Offline');
    expect(cards[1]).toHaveTextContent('Serial');
    expect(cards[1]).toHaveTextContent(/Last seen\s*2026-01-01/);
  });

  it('shows USB bootloaders with their ids, protocol and advice, without Refresh or Remove', async () => {
    const { fake } = renderApp({ hash: '#/devices' });
    await screen.findByTestId('devices-empty');
    const usb = (
      uri: string,
      label: string,
      extra: Partial<NonNullable<ReturnType<typeof makeDevice>['usb']>>,
    ) =>
      makeDevice(uri, {
        link: 'usb',
        source: 'usb',
        manual: false,
        label,
        identity: null,
        status: null,
        seenFingerprint: null,
        pinnedFingerprint: null,
        usb: {
          vendorId: '0483',
          productId: 'df11',
          manufacturer: null,
          product: null,
          serialNumber: null,
          name: null,
          protocol: null,
          advice: null,
          ...extra,
        },
      });
    act(() =>
      fake.emit('devices.changed', {
        devices: [
          usb('usb://0483:df11/SN1?protocol=dfu', 'STMicroelectronics STM32 BOOTLOADER (0483:df11)', {
            manufacturer: 'STMicroelectronics',
            product: 'STM32 BOOTLOADER',
            serialNumber: 'SN1',
            name: 'STM32 system bootloader (DfuSe)',
            protocol: 'dfu',
          }),
          usb('usb://0955:7023', 'NVIDIA Jetson AGX Orin in recovery mode (0955:7023)', {
            vendorId: '0955',
            productId: '7023',
            advice: "Use NVIDIA's flash tools.",
          }),
        ],
      }),
    );
    const [dfu, jetson] = await screen.findAllByTestId('device-card');
    expect(dfu).toHaveTextContent('STM32 BOOTLOADER');
    expect(within(dfu!).getByTestId('device-usb-id')).toHaveTextContent('0483:df11');
    expect(within(dfu!).getByTestId('device-usb-protocol')).toHaveTextContent('DFU');
    expect(dfu).toHaveTextContent('USB');
    expect(within(dfu!).queryByRole('button', { name: /Refresh|Remove/ })).toBeNull();
    expect(within(jetson!).getByTestId('device-usb-protocol')).toHaveTextContent('Another tool');
    expect(within(jetson!).getByTestId('device-usb-advice')).toHaveTextContent("NVIDIA's flash tools");
  });

  it('removes and refreshes a device from the keyboard', async () => {
    const user = userEvent.setup();
    const { fake } = renderApp({ hash: '#/devices' });
    fake.devices.list = [makeDevice('tcp://10.0.0.8:7878')];
    await screen.findByTestId('devices-empty');
    act(() => fake.emit('devices.changed', { devices: fake.devices.list }));
    const refresh = await screen.findByRole('button', { name: 'Refresh tcp://10.0.0.8:7878' });
    refresh.focus();
    await user.keyboard('{Enter}');
    await waitFor(() =>
      expect(fake.calls.find((c) => c.verb === 'devices.refresh')?.input).toEqual({
        uri: 'tcp://10.0.0.8:7878',
      }),
    );
    screen.getByRole('button', { name: 'Remove tcp://10.0.0.8:7878' }).focus();
    await user.keyboard('{Enter}');
    expect(await screen.findByTestId('devices-empty')).toBeInTheDocument();
  });
});
