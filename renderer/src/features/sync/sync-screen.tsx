/**
 * Sync: enrol this laptop with HQ, see what is waiting to go (the outbox) and HQ's last receipt, and
 * send the log with a progress bar. Reachability is checked when the screen opens and on request.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { useStore } from 'zustand';
import { Badge, Button, Card, DataList, Flex, Heading, Progress, Text, TextField } from '@radix-ui/themes';
import { ReloadIcon, UpdateIcon } from '@radix-ui/react-icons';
import { useStores } from '../../state/stores-context';
import type { SyncStatusView } from '../../state/sync-store';
import { ErrorCallout } from '../../ui/error-callout';
import { formatLocalTime } from '../../ui/format-time';

/** The Sync screen. */
export function SyncScreen() {
  const store = useStores().sync;
  const status = useStore(store, (state) => state.status);
  const error = useStore(store, (state) => state.error);
  const load = useStore(store, (state) => state.load);
  const subscribe = useStore(store, (state) => state.subscribe);

  useEffect(() => {
    void load(true);
    return subscribe();
  }, [load, subscribe]);

  return (
    <Flex direction="column" gap="5" className="dh-screen">
      <Heading as="h1" size="8">
        Sync
      </Heading>
      {error !== null && <ErrorCallout error={error} testId="sync-error" />}
      {status === null ? (
        <Text size="4" color="gray">
          Loading…
        </Text>
      ) : status.enrolled ? (
        <>
          <OutboxCard status={status} />
          <HqCard status={status} />
          <ReceiptCard status={status} />
        </>
      ) : (
        <EnrolCard status={status} />
      )}
    </Flex>
  );
}

function EnrolCard({ status }: { readonly status: SyncStatusView }) {
  const store = useStores().sync;
  const enrolling = useStore(store, (state) => state.enrolling);
  const enrol = useStore(store, (state) => state.enrol);
  const [hqUrl, setHqUrl] = useState('https://');
  const [name, setName] = useState('');
  const [fingerprint, setFingerprint] = useState('');
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    void enrol({
      hqUrl: hqUrl.trim(),
      technicianName: name.trim(),
      ...(fingerprint.trim() ? { fingerprint: fingerprint.trim() } : {}),
    });
  };
  return (
    <Card size="3">
      <form onSubmit={submit} aria-labelledby="enrol-heading">
        <Flex direction="column" gap="4">
          <Heading as="h2" size="5" id="enrol-heading">
            Enrol with HQ
          </Heading>
          <Text as="p" size="3" color="gray">
            This laptop is not enrolled yet. {status.logSize} events are waiting in the deploy log. HQ gives
            you its address and, to be safe, its certificate fingerprint.
          </Text>
          <label>
            <Text as="div" size="3" weight="bold" mb="1">
              HQ address
            </Text>
            <TextField.Root size="3" value={hqUrl} onChange={(e) => setHqUrl(e.target.value)} required />
          </label>
          <label>
            <Text as="div" size="3" weight="bold" mb="1">
              Your name
            </Text>
            <TextField.Root size="3" value={name} onChange={(e) => setName(e.target.value)} required />
          </label>
          <label>
            <Text as="div" size="3" weight="bold" mb="1">
              Certificate fingerprint (SHA-256, optional)
            </Text>
            <TextField.Root size="3" value={fingerprint} onChange={(e) => setFingerprint(e.target.value)} />
          </label>
          <Flex>
            <Button type="submit" size="3" highContrast className="dh-touch" disabled={enrolling}>
              {enrolling ? 'Enrolling…' : 'Enrol'}
            </Button>
          </Flex>
        </Flex>
      </form>
    </Card>
  );
}

function OutboxCard({ status }: { readonly status: SyncStatusView }) {
  const store = useStores().sync;
  const syncing = useStore(store, (state) => state.syncing);
  const progress = useStore(store, (state) => state.progress);
  const lastSent = useStore(store, (state) => state.lastSent);
  const syncNow = useStore(store, (state) => state.syncNow);
  const cancel = useStore(store, (state) => state.cancel);
  return (
    <Card size="3">
      <Flex direction="column" gap="4">
        <Flex justify="between" align="center" wrap="wrap" gap="3">
          <Flex direction="column" gap="1">
            <Heading as="h2" size="5">
              Waiting to send
            </Heading>
            <Text size="7" weight="bold" data-testid="sync-pending">
              {status.pending.toLocaleString('en')} {status.pending === 1 ? 'event' : 'events'}
            </Text>
            <Text size="3" color="gray">
              {status.logSize.toLocaleString('en')} in the log · last sync{' '}
              {status.lastSyncAt === null ? 'never' : formatLocalTime(status.lastSyncAt)}
            </Text>
          </Flex>
          <Flex gap="3">
            {syncing && (
              <Button size="3" variant="soft" className="dh-touch" onClick={() => void cancel()}>
                Cancel
              </Button>
            )}
            <Button
              size="3"
              highContrast
              className="dh-touch"
              onClick={() => void syncNow()}
              disabled={syncing}
            >
              <UpdateIcon aria-hidden /> {syncing ? 'Syncing…' : 'Sync now'}
            </Button>
          </Flex>
        </Flex>
        {syncing && (
          <Flex direction="column" gap="2" data-testid="sync-progress">
            <Progress size="3" value={progress?.percent ?? undefined} aria-label="Sync progress" />
            <Text size="2" color="gray">
              {progress?.step ?? 'starting'}
              {progress?.percent != null ? ` · ${progress.percent.toFixed(0)} %` : ''}
              {progress?.etaSec != null ? ` · about ${Math.ceil(progress.etaSec)} s left` : ''}
            </Text>
          </Flex>
        )}
        {!syncing && lastSent !== null && (
          <Text size="3" role="status" data-testid="sync-done">
            {lastSent === 0
              ? 'Nothing new to send: HQ already holds every event.'
              : `Sent ${lastSent.toLocaleString('en')} events to HQ.`}
          </Text>
        )}
      </Flex>
    </Card>
  );
}

function HqCard({ status }: { readonly status: SyncStatusView }) {
  const store = useStores().sync;
  const load = useStore(store, (state) => state.load);
  const hq = status.hq;
  if (hq === null) return null;
  return (
    <Card size="3">
      <Flex direction="column" gap="3">
        <Flex justify="between" align="center" gap="3" wrap="wrap">
          <Heading as="h2" size="5">
            HQ
          </Heading>
          <Flex gap="3" align="center">
            <Badge
              size="3"
              highContrast
              color={status.reachable === true ? 'green' : status.reachable === false ? 'red' : 'gray'}
              data-testid="sync-reachability"
            >
              {status.reachable === true
                ? 'Reachable'
                : status.reachable === false
                  ? 'Not reachable'
                  : 'Not checked'}
            </Badge>
            <Button size="2" variant="surface" onClick={() => void load(true)}>
              <ReloadIcon aria-hidden /> Check
            </Button>
          </Flex>
        </Flex>
        <DataList.Root size="3">
          <DataList.Item>
            <DataList.Label>Name</DataList.Label>
            <DataList.Value>{hq.name}</DataList.Value>
          </DataList.Item>
          <DataList.Item>
            <DataList.Label>Address</DataList.Label>
            <DataList.Value>{hq.url}</DataList.Value>
          </DataList.Item>
          <DataList.Item>
            <DataList.Label>Certificate (pinned)</DataList.Label>
            <DataList.Value>
              <Text className="dh-mono" size="2" style={{ wordBreak: 'break-all' }}>
                {hq.fingerprint}
              </Text>
            </DataList.Value>
          </DataList.Item>
          <DataList.Item>
            <DataList.Label>Receipt key</DataList.Label>
            <DataList.Value>
              <Text className="dh-mono">{hq.keyId}</Text>
            </DataList.Value>
          </DataList.Item>
          {status.technician && (
            <DataList.Item>
              <DataList.Label>Technician key</DataList.Label>
              <DataList.Value>
                <Text className="dh-mono">{status.technician.keyId}</Text>
                {status.technician.name ? <Text> ({status.technician.name})</Text> : null}
              </DataList.Value>
            </DataList.Item>
          )}
        </DataList.Root>
      </Flex>
    </Card>
  );
}

function ReceiptCard({ status }: { readonly status: SyncStatusView }) {
  const receipt = status.lastReceipt;
  return (
    <Card size="3" data-testid="sync-receipt">
      <Flex direction="column" gap="3">
        <Heading as="h2" size="5">
          Last receipt from HQ
        </Heading>
        {receipt === null ? (
          <Text size="3" color="gray">
            None yet. After a sync, HQ countersigns how much of the log it holds.
          </Text>
        ) : (
          <DataList.Root size="3">
            <DataList.Item>
              <DataList.Label>HQ holds</DataList.Label>
              <DataList.Value>events 1–{receipt.size.toLocaleString('en')}</DataList.Value>
            </DataList.Item>
            <DataList.Item>
              <DataList.Label>Head hash</DataList.Label>
              <DataList.Value>
                <Text className="dh-mono" size="2" style={{ wordBreak: 'break-all' }}>
                  {receipt.head}
                </Text>
              </DataList.Value>
            </DataList.Item>
            <DataList.Item>
              <DataList.Label>Signed</DataList.Label>
              <DataList.Value>{formatLocalTime(receipt.time)}</DataList.Value>
            </DataList.Item>
          </DataList.Root>
        )}
      </Flex>
    </Card>
  );
}
