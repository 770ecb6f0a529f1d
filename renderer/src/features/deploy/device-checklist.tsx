/** The devices to deploy to: a filter box and one checkbox per device, with what it runs now. */
import { useState } from 'react';
import { useStore } from 'zustand';
import { Badge, Button, Card, Checkbox, Flex, Heading, Text, TextField } from '@radix-ui/themes';
import type { DeviceView } from '../../bridge';
import { useStores } from '../../state/stores-context';

/** Lists the known devices with checkboxes. */
export function DeviceChecklist() {
  const stores = useStores();
  const devices = useStore(stores.devices, (state) => state.devices);
  const chosen = useStore(stores.deploy, (state) => state.devices);
  const toggleDevice = useStore(stores.deploy, (state) => state.toggleDevice);
  const setDevices = useStore(stores.deploy, (state) => state.setDevices);
  const [filter, setFilter] = useState('');
  // USB bootloaders are flashed from their own screen, not deployed to.
  const deployable = (devices ?? []).filter((d) => d.link !== 'usb');
  const shown = deployable.filter((d) => matches(d, filter));
  return (
    <Card size="3">
      <Flex direction="column" gap="3">
        <Heading as="h2" size="5">
          2. Devices
        </Heading>
        {devices === null ? (
          <Text color="gray">Loading…</Text>
        ) : deployable.length === 0 ? (
          <Flex direction="column" gap="3" align="start" data-testid="deploy-no-devices">
            <Text as="p" size="4">
              No devices yet. Add them on the Devices screen first.
            </Text>
            <Button asChild size="3" variant="soft" highContrast>
              <a href="#/devices">Open Devices</a>
            </Button>
          </Flex>
        ) : (
          <>
            <Flex gap="3" align="end" wrap="wrap">
              <label style={{ flex: '1 1 18rem' }}>
                <Text as="div" size="3" weight="bold" mb="1">
                  Filter devices
                </Text>
                <TextField.Root
                  size="3"
                  value={filter}
                  placeholder="Serial number, hardware, address or version"
                  onChange={(e) => setFilter(e.target.value)}
                />
              </label>
              <Button
                size="3"
                variant="soft"
                highContrast
                onClick={() => setDevices([...chosen, ...shown.map((d) => d.uri)])}
              >
                Select all shown
              </Button>
              <Button size="3" variant="soft" color="gray" highContrast onClick={() => setDevices([])}>
                Clear
              </Button>
            </Flex>
            <Text size="3" color="gray" role="status">
              {chosen.length} of {deployable.length} selected
            </Text>
            <ul className="dh-check-list" aria-label="Devices to deploy to">
              {shown.map((device) => (
                <li key={device.uri}>
                  <Text as="label" size="3" className="dh-check-row" data-testid="deploy-device">
                    <Checkbox
                      size="3"
                      checked={chosen.includes(device.uri)}
                      onCheckedChange={() => toggleDevice(device.uri)}
                      aria-label={`Deploy to ${device.uri}`}
                    />
                    <Flex direction="column">
                      <Text weight="bold">
                        {device.identity
                          ? `${device.identity.serialNumber} · ${device.identity.hardware}`
                          : device.label}
                      </Text>
                      <Text color="gray" className="dh-break">
                        {device.uri} · {runsNow(device)}
                      </Text>
                    </Flex>
                    {device.state !== 'online' && (
                      <Badge size="2" color={device.state === 'error' ? 'red' : 'gray'} highContrast>
                        {device.state === 'unconfirmed' ? 'Not trusted yet' : device.state}
                      </Badge>
                    )}
                  </Text>
                </li>
              ))}
              {shown.length === 0 && (
                <li>
                  <Text color="gray">No device matches “{filter}”.</Text>
                </li>
              )}
            </ul>
          </>
        )}
      </Flex>
    </Card>
  );
}

function runsNow(device: DeviceView): string {
  const status = device.status;
  if (status === null) return 'not contacted yet';
  const booted = status.booted === null ? null : status.slots[status.booted];
  const release = booted ? `${booted.name} ${booted.version}` : 'no release';
  return status.models.length === 0
    ? release
    : `${release}; ${status.models.map((m) => `${m.name} ${m.version}`).join(', ')}`;
}

function matches(device: DeviceView, filter: string): boolean {
  const words = filter.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const text = [
    device.uri,
    device.label,
    device.identity?.serialNumber,
    device.identity?.hardware,
    runsNow(device),
  ]
    .join(' ')
    .toLowerCase();
  return words.every((word) => text.includes(word));
}
