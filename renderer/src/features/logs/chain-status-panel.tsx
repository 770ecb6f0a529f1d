/** Whether the deploy log's hash chain is intact: the first thing HQ asks after a site visit. */
import { useStore } from 'zustand';
import { Button, Callout, Flex, Text } from '@radix-ui/themes';
import { CheckCircledIcon, CrossCircledIcon, ReloadIcon } from '@radix-ui/react-icons';
import type { StoreApi } from 'zustand/vanilla';
import type { ChainStatus } from '../../../../core/eventlog/event-types';
import type { LogsState } from '../../state/logs-store';
import { assertNever } from '../../ui/assert-never';
import { describeChainFault, formatEventCount, shortHash } from './log-format';

/** Props of ChainStatusPanel. */
export interface ChainStatusPanelProps {
  readonly store: StoreApi<LogsState>;
}

/** The chain check's outcome, prominent and red when broken, with a Re-check button. */
export function ChainStatusPanel({ store }: ChainStatusPanelProps) {
  const chain = useStore(store, (state) => state.chain);
  const verifyChain = useStore(store, (state) => state.verifyChain);
  const checking = chain.phase === 'checking';
  const shown = chain.phase === 'done' ? chain.status : chain.phase === 'checking' ? chain.previous : null;
  const broken = shown !== null && !shown.valid;

  return (
    <Callout.Root
      highContrast
      size={broken ? '3' : '2'}
      color={chain.phase === 'failed' || broken ? 'red' : shown !== null ? 'green' : 'gray'}
      variant={broken ? 'surface' : 'soft'}
      role={broken || chain.phase === 'failed' ? 'alert' : 'status'}
      data-testid="chain-status"
      className={broken ? 'dh-chain dh-chain-broken' : 'dh-chain'}
    >
      <Callout.Icon>
        {broken || chain.phase === 'failed' ? (
          <CrossCircledIcon aria-hidden />
        ) : (
          <CheckCircledIcon aria-hidden />
        )}
      </Callout.Icon>
      <Flex
        direction={{ initial: 'column', sm: 'row' }}
        gap="3"
        align={{ initial: 'start', sm: 'center' }}
        justify="between"
        width="100%"
      >
        <Flex direction="column" gap="1">
          <Text as="p" size="4" weight="bold">
            {headline(chain, shown)}
          </Text>
          {detail(chain, shown)}
        </Flex>
        <Button
          highContrast
          size="3"
          variant="surface"
          className="dh-touch"
          onClick={() => void verifyChain()}
          disabled={checking}
        >
          <ReloadIcon aria-hidden /> {checking ? 'Checking…' : 'Re-check'}
        </Button>
      </Flex>
    </Callout.Root>
  );
}

function headline(chain: LogsState['chain'], shown: ChainStatus | null): string {
  if (chain.phase === 'failed') return 'Could not check the chain';
  if (shown === null) return 'Checking the chain…';
  if (shown.valid) return `Chain intact — ${formatEventCount(shown.size)}, head ${shortHash(shown.head, 12)}`;
  return `Chain broken at seq ${shown.firstBadSeq} (${describeChainFault(shown.reason)})`;
}

function detail(chain: LogsState['chain'], shown: ChainStatus | null) {
  switch (chain.phase) {
    case 'failed':
      return <Text as="p">{chain.error.message}</Text>;
    case 'idle':
    case 'checking':
      return null;
    case 'done':
      if (shown !== null && !shown.valid) {
        return (
          <Text as="p">
            Events before seq {shown.firstBadSeq} verify; from seq {shown.firstBadSeq} on the log cannot be
            trusted. Do not sync it; tell HQ.
          </Text>
        );
      }
      return chain.newSince > 0 ? (
        <Text as="p">{formatEventCount(chain.newSince)} added since this check.</Text>
      ) : null;
    default:
      return assertNever(chain);
  }
}
