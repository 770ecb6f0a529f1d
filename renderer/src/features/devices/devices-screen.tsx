/**
 * Devices: every device added by address or discovered, with its link, identity, A/B slots, health
 * and when it last answered. A device met for the first time is never trusted silently: its card
 * asks the technician to compare the certificate fingerprint with the device's label or console.
 */
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { useStore } from 'zustand';
import {
  Badge,
  Button,
  Callout,
  Card,
  Code,
  DataList,
  Flex,
  Heading,
  Text,
  TextField,
} from '@radix-ui/themes';
import {
  CrossCircledIcon,
  ExclamationTriangleIcon,
  InfoCircledIcon,
  ReloadIcon,
} from '@radix-ui/react-icons';
import type { DeviceView } from '../../bridge';
import { useStores } from '../../state/stores-context';
import { assertNever } from '../../ui/assert-never';
import { formatLocalTime } from '../../ui/format-time';
import { ErrorCallout } from '../../ui/error-callout';
import { SerialConsole } from './serial-console';

const STATE_BADGE: Record<DeviceView['state'], { label: string; color: 'green' | 'amber' | 'gray' | 'red' }> =
  {
    checking: { label: 'Checking…', color: 'gray' },
    unconfirmed: { label: 'Needs confirmation', color: 'amber' },
    online: { label: 'Online', color: 'green' },
    offline: { label: 'Offline', color: 'gray' },
    error: { label: 'Refused', color: 'red' },
  };

/** The Devices screen. */
export function DevicesScreen() {
  const store = useStores().devices;
  const devices = useStore(store, (state) => state.devices);
  const error = useStore(store, (state) => state.error);
  const refreshing = useStore(store, (state) => state.refreshing);
  const load = useStore(store, (state) => state.load);
  const refresh = useStore(store, (state) => state.refresh);
  const subscribe = useStore(store, (state) => state.subscribe);

  useEffect(() => {
    void load();
    return subscribe();
  }, [load, subscribe]);

  return (
    <Flex direction="column" gap="5" className="dh-screen">
      <Flex justify="between" align="center" wrap="wrap" gap="3">
        <Heading as="h1" size="8">
          Devices
        </Heading>
        <Button size="3" variant="soft" highContrast disabled={refreshing} onClick={() => void refresh()}>
          <ReloadIcon aria-hidden /> {refreshing ? 'Refreshing…' : 'Refresh all'}
        </Button>
      </Flex>
      <AddDeviceForm />
      {error !== null && <ErrorCallout error={error} testId="devices-error" />}
      {devices === null ? (
        <Text size="4" color="gray">
          Loading…
        </Text>
      ) : devices.length === 0 ? (
        <Card size="3" data-testid="devices-empty">
          <Text as="p" size="4">
            No devices yet. Add one by address above, or run <Code>npm run demo</Code> to try Deckhand with a
            simulated fleet.
          </Text>
        </Card>
      ) : (
        <ul className="dh-device-list" aria-label="Devices">
          {devices.map((device) => (
            <li key={device.uri}>
              <DeviceCard device={device} />
            </li>
          ))}
        </ul>
      )}
      <SerialConsole suggestedPorts={serialPortsOf(devices ?? [])} />
    </Flex>
  );
}

/** Device paths of the serial devices in the list, offered in the console's port field. */
function serialPortsOf(devices: readonly DeviceView[]): string[] {
  const ports = devices
    .map((device) => /^(?:smp\+)?serial:\/\/(\/[^?]+)/.exec(device.uri)?.[1])
    .filter((port): port is string => port !== undefined);
  return [...new Set(ports)];
}

function AddDeviceForm() {
  const store = useStores().devices;
  const adding = useStore(store, (state) => state.adding);
  const add = useStore(store, (state) => state.add);
  const [uri, setUri] = useState('');
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (uri.trim() === '') return;
    void add(uri.trim()).then((added) => {
      if (added) setUri('');
    });
  };
  return (
    <Card size="3">
      <form onSubmit={submit} aria-label="Add device">
        <Flex gap="3" align="end" wrap="wrap">
          <label style={{ flex: '1 1 20rem' }}>
            <Text as="div" size="3" weight="bold" mb="1">
              Device address
            </Text>
            <TextField.Root
              size="3"
              value={uri}
              placeholder="tcp://10.0.0.5:7878 or serial:///dev/ttyUSB0"
              onChange={(e) => setUri(e.target.value)}
            />
          </label>
          <Button type="submit" size="3" highContrast disabled={adding}>
            {adding ? 'Contacting…' : 'Add device'}
          </Button>
        </Flex>
      </form>
    </Card>
  );
}

function DeviceCard({ device }: { readonly device: DeviceView }) {
  const store = useStores().devices;
  const busy = useStore(store, (state) => state.busy.includes(device.uri));
  const refresh = useStore(store, (state) => state.refresh);
  const remove = useStore(store, (state) => state.remove);
  const confirm = useStore(store, (state) => state.confirm);
  const badge = STATE_BADGE[device.state];
  const title = device.identity
    ? `${device.identity.serialNumber} · ${device.identity.hardware}`
    : device.label;
  const refused = device.state === 'error' && device.error?.code === 'untrusted_device';
  return (
    <Card size="3" data-testid="device-card" aria-label={`Device ${device.uri}`}>
      <Flex direction="column" gap="3">
        <Flex justify="between" align="start" wrap="wrap" gap="3">
          <Flex direction="column" gap="1">
            <Heading as="h2" size="5">
              {title}
            </Heading>
            {title !== device.uri && (
              <Text size="3" color="gray">
                <Code>{device.uri}</Code>
              </Text>
            )}
          </Flex>
          <Flex gap="2" align="center" wrap="wrap">
            <Badge size="3" color="gray" highContrast>
              {linkLabel(device.link)}
            </Badge>
            {device.source !== 'manual' && (
              <Badge size="3" color="blue" highContrast>
                Found via {device.source}
              </Badge>
            )}
            <Badge size="3" color={badge.color} highContrast data-testid="device-state">
              {badge.label}
            </Badge>
          </Flex>
        </Flex>

        {device.state === 'unconfirmed' && device.seenFingerprint !== null && (
          <Callout.Root color="amber" highContrast data-testid="device-first-contact">
            <Callout.Icon>
              <ExclamationTriangleIcon aria-hidden />
            </Callout.Icon>
            <Flex direction="column" gap="3">
              <Callout.Text>
                First contact. Confirm this fingerprint matches the device’s label or console:
              </Callout.Text>
              <Code size="3" className="dh-fingerprint" data-testid="device-fingerprint">
                {device.seenFingerprint}
              </Code>
              <Flex gap="3" wrap="wrap">
                <Button
                  size="3"
                  highContrast
                  disabled={busy}
                  onClick={() => void confirm(device.uri, device.seenFingerprint ?? '')}
                >
                  Trust
                </Button>
                <Button size="3" variant="soft" disabled={busy} onClick={() => void remove(device.uri)}>
                  Cancel
                </Button>
              </Flex>
            </Flex>
          </Callout.Root>
        )}

        {device.error !== null && device.state !== 'unconfirmed' && (
          <Callout.Root color={device.state === 'offline' ? 'gray' : 'red'} highContrast role="status">
            <Callout.Icon>
              <CrossCircledIcon aria-hidden />
            </Callout.Icon>
            <Flex direction="column" gap="2">
              <Callout.Text>
                {device.error.message} <Text color="gray">[{device.error.code}]</Text>
              </Callout.Text>
              {refused && device.seenFingerprint !== null && (
                <>
                  <Text size="3">
                    It now presents <Code className="dh-fingerprint">{device.seenFingerprint}</Code>
                  </Text>
                  <Flex>
                    <Button
                      size="3"
                      color="red"
                      variant="soft"
                      disabled={busy}
                      onClick={() => void confirm(device.uri, device.seenFingerprint ?? '')}
                    >
                      Trust the new fingerprint
                    </Button>
                  </Flex>
                </>
              )}
            </Flex>
          </Callout.Root>
        )}

        {device.usb?.advice && (
          <Callout.Root color="blue" highContrast data-testid="device-usb-advice">
            <Callout.Icon>
              <InfoCircledIcon aria-hidden />
            </Callout.Icon>
            <Callout.Text>{device.usb.advice}</Callout.Text>
          </Callout.Root>
        )}

        <DataList.Root size="3" orientation={{ initial: 'vertical', sm: 'horizontal' }}>
          {device.usb && <UsbItems usb={device.usb} />}
          {device.identity && (
            <>
              <Item label="Hardware" value={device.identity.hardware} />
              <Item label="Serial number" value={device.identity.serialNumber} />
              <Item label="Agent version" value={device.identity.agentVersion} />
              <Item label="Device key" value={<Code>{device.identity.keyFingerprint.slice(0, 23)}…</Code>} />
            </>
          )}
          {device.status && (
            <>
              <Item label="Slot A" value={<SlotValue device={device} slot="a" />} />
              <Item label="Slot B" value={<SlotValue device={device} slot="b" />} />
              <Item
                label="Health"
                value={
                  device.status.health === null ? (
                    'Not checked yet'
                  ) : (
                    <Badge size="2" color={device.status.health.healthy ? 'green' : 'red'} highContrast>
                      {device.status.health.healthy ? 'Healthy' : `Unhealthy: ${device.status.health.detail}`}
                    </Badge>
                  )
                }
              />
              <Item label="Anti-rollback counter" value={String(device.status.counter)} />
              <Item label="Free space" value={`${(device.status.freeBytes / 1e9).toFixed(1)} GB`} />
              {device.status.models.length > 0 && (
                <Item
                  label="Models"
                  value={device.status.models.map((m) => `${m.name} ${m.version}`).join(', ')}
                />
              )}
            </>
          )}
          <Item
            label="Last seen"
            value={device.lastSeen === null ? 'Never' : formatLocalTime(device.lastSeen)}
          />
        </DataList.Root>

        <Flex gap="3" wrap="wrap">
          {device.link !== 'usb' && (
            // A USB row is there while the bus reports it; there is nothing to contact.
            <Button
              size="3"
              variant="soft"
              highContrast
              disabled={busy}
              aria-label={`Refresh ${device.uri}`}
              onClick={() => void refresh(device.uri)}
            >
              <ReloadIcon aria-hidden /> Refresh
            </Button>
          )}
          {device.manual && device.state !== 'unconfirmed' && (
            <Button
              size="3"
              variant="soft"
              color="red"
              disabled={busy}
              aria-label={`Remove ${device.uri}`}
              onClick={() => void remove(device.uri)}
            >
              Remove
            </Button>
          )}
        </Flex>
      </Flex>
    </Card>
  );
}

function linkLabel(link: DeviceView['link']): string {
  switch (link) {
    case 'tcp':
      return 'Network (TLS)';
    case 'serial':
      return 'Serial';
    case 'ssh':
      return 'SSH';
    case 'swupdate':
      return 'SWUpdate';
    case 'usb':
      return 'USB';
    case 'smp+serial':
      return 'MCUmgr (serial)';
    case 'smp+udp':
      return 'MCUmgr (UDP)';
    default:
      return assertNever(link);
  }
}

const USB_PROTOCOL_LABEL = { dfu: 'DFU', fastboot: 'fastboot' } as const;

function UsbItems({ usb }: { readonly usb: NonNullable<DeviceView['usb']> }) {
  return (
    <>
      <Item
        label="USB id"
        value={<Code data-testid="device-usb-id">{`${usb.vendorId}:${usb.productId}`}</Code>}
      />
      {usb.name !== null && <Item label="Known as" value={usb.name} />}
      {usb.manufacturer !== null && <Item label="Manufacturer" value={usb.manufacturer} />}
      {usb.product !== null && <Item label="Product" value={usb.product} />}
      {usb.serialNumber !== null && <Item label="Serial number" value={usb.serialNumber} />}
      <Item
        label="Flashed with"
        value={
          <Badge
            size="2"
            color={usb.protocol === null ? 'gray' : 'blue'}
            highContrast
            data-testid="device-usb-protocol"
          >
            {usb.protocol === null ? 'Another tool (see advice)' : USB_PROTOCOL_LABEL[usb.protocol]}
          </Badge>
        }
      />
    </>
  );
}

function Item({ label, value }: { readonly label: string; readonly value: ReactNode }) {
  return (
    <DataList.Item>
      <DataList.Label minWidth="12rem">{label}</DataList.Label>
      <DataList.Value>{value}</DataList.Value>
    </DataList.Item>
  );
}

function SlotValue({ device, slot }: { readonly device: DeviceView; readonly slot: 'a' | 'b' }) {
  const status = device.status;
  if (!status) return null;
  const release = status.slots[slot];
  return (
    <Flex gap="2" align="center" wrap="wrap" data-testid={`device-slot-${slot}`}>
      <Text>{release ? `${release.name} ${release.version}` : 'Empty'}</Text>
      {status.booted === slot && (
        <Badge size="2" color="blue" highContrast>
          booted
        </Badge>
      )}
      {status.confirmed === slot && (
        <Badge size="2" color="green" highContrast>
          confirmed
        </Badge>
      )}
      {status.pending === slot && (
        <Badge size="2" color="amber" highContrast>
          {status.trial ? 'on trial' : 'pending'}
        </Badge>
      )}
    </Flex>
  );
}
