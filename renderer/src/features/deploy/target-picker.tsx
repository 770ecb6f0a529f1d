/** The target to deploy: one card per release or model, with its version, install method and hardware. */
import { useStore } from 'zustand';
import { Badge, Card, Flex, Heading, RadioCards, Text } from '@radix-ui/themes';
import { targetKey } from '../../state/deploy-store';
import { useStores } from '../../state/stores-context';
import { formatBytes } from '../bundles/bundle-format';

/** Lists the deployable targets as radio cards. */
export function TargetPicker() {
  const store = useStores().deploy;
  const targets = useStore(store, (state) => state.targets) ?? [];
  const chosen = useStore(store, (state) => state.targetKey);
  const chooseTarget = useStore(store, (state) => state.chooseTarget);
  return (
    <Card size="3">
      <Flex direction="column" gap="3">
        <Heading as="h2" size="5" id="deploy-target-heading">
          1. What to deploy
        </Heading>
        <RadioCards.Root
          size="2"
          columns={{ initial: '1', sm: '2', lg: '3' }}
          value={chosen ?? ''}
          onValueChange={(value) => chooseTarget(value === '' ? null : value)}
          aria-labelledby="deploy-target-heading"
        >
          {targets.map((target) => (
            <RadioCards.Item
              key={targetKey(target)}
              value={targetKey(target)}
              aria-label={`${target.name} ${target.version}`}
              data-testid="deploy-target"
            >
              <Flex direction="column" gap="1" width="100%">
                <Flex gap="2" align="center" wrap="wrap">
                  <Text size="4" weight="bold">
                    {target.name} {target.version}
                  </Text>
                  <Badge size="2" color={target.kind === 'model' ? 'blue' : 'gray'} highContrast>
                    {target.kind === 'model' ? 'Model' : 'Release'}
                  </Badge>
                </Flex>
                <Text size="2" color="gray">
                  Install: {target.installMethod} · {formatBytes(target.length)}
                </Text>
                <Text size="2" color="gray">
                  For {target.hardware.length === 0 ? 'any hardware' : target.hardware.join(', ')}
                </Text>
              </Flex>
            </RadioCards.Item>
          ))}
        </RadioCards.Root>
      </Flex>
    </Card>
  );
}
