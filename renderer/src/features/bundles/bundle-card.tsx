/** One import attempt: what the bundle holds, who signed it and when it expires, or why it was refused. */
import { Badge, Callout, Card, Flex, Heading, Table, Text } from '@radix-ui/themes';
import { CrossCircledIcon } from '@radix-ui/react-icons';
import type { BundleImportRow } from '../../bridge';
import { formatLocalTime } from '../logs/log-format';
import { describeExpiry, formatBytes, shortKey } from './bundle-format';

/** Props of BundleCard. */
export interface BundleCardProps {
  readonly row: BundleImportRow;
  readonly now: Date;
}

/** An imported bundle with its contents, or a refusal with its reason. */
export function BundleCard({ row, now }: BundleCardProps) {
  const refused = row.status === 'refused';
  return (
    <Card size="3" data-testid="bundle-card" data-status={row.status}>
      <Flex direction="column" gap="3">
        <Flex justify="between" align="center" gap="3" wrap="wrap">
          <Heading as="h3" size="4">
            {row.fileName}
          </Heading>
          <Flex gap="2" align="center" wrap="wrap">
            <Badge highContrast size="2" color={refused ? 'red' : 'green'}>
              {refused ? 'Refused' : 'Imported'}
            </Badge>
            {!refused && row.expires !== null && <ExpiryBadge iso={row.expires} now={now} />}
            <Text size="2" color="gray">
              {formatLocalTime(row.attemptedAt)}
            </Text>
          </Flex>
        </Flex>
        {refused ? (
          <Callout.Root highContrast color="red" role="alert" data-testid="bundle-refusal">
            <Callout.Icon>
              <CrossCircledIcon aria-hidden />
            </Callout.Icon>
            <Callout.Text>
              {row.error?.message} <Text color="gray">({row.error?.code})</Text>
            </Callout.Text>
          </Callout.Root>
        ) : (
          <>
            <Text as="p" size="2" color="gray" data-testid="bundle-signers">
              Root version {row.rootVersion} · signed by{' '}
              {row.roles.map((role) => `${role.role} ${role.signers.map(shortKey).join(', ')}`).join(' · ')}
            </Text>
            <Table.Root size="2" variant="surface" aria-label={`Contents of ${row.fileName}`}>
              <Table.Header>
                <Table.Row>
                  <Table.ColumnHeaderCell>Kind</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Name</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Version</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Hardware</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell justify="end">Size</Table.ColumnHeaderCell>
                </Table.Row>
              </Table.Header>
              <Table.Body>
                {row.targets.map((target) => (
                  <Table.Row key={target.path} data-testid="bundle-target">
                    <Table.Cell>{target.kind}</Table.Cell>
                    <Table.RowHeaderCell>{target.name}</Table.RowHeaderCell>
                    <Table.Cell>{target.version}</Table.Cell>
                    <Table.Cell>{target.hardware.join(', ') || 'any'}</Table.Cell>
                    <Table.Cell justify="end">{formatBytes(target.length)}</Table.Cell>
                  </Table.Row>
                ))}
              </Table.Body>
            </Table.Root>
          </>
        )}
      </Flex>
    </Card>
  );
}

function ExpiryBadge({ iso, now }: { readonly iso: string; readonly now: Date }) {
  const expiry = describeExpiry(iso, now);
  const color = expiry.tone === 'ok' ? 'gray' : expiry.tone === 'warning' ? 'amber' : 'red';
  return (
    <Badge
      highContrast
      size="2"
      color={color}
      variant={expiry.tone === 'ok' ? 'outline' : 'solid'}
      data-testid="bundle-expiry"
      data-tone={expiry.tone}
    >
      {expiry.countdown} ({expiry.date})
    </Badge>
  );
}
