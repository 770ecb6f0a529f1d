/**
 * Screens whose features are not built yet. Each says plainly what it will hold and that it arrives
 * later, rather than showing sample data a technician could mistake for real devices or deploys.
 */
import { Badge, Card, Flex, Heading, Text } from '@radix-ui/themes';
import { SCREENS, type ScreenId } from '../../app/screens';

/** The screens this component stands in for. */
export type PlannedScreenId = Exclude<
  ScreenId,
  'logs' | 'settings' | 'sync' | 'bundles' | 'devices' | 'overview' | 'deploy'
>;

/** What each planned screen will hold, and when it arrives. */
const PLANS: Readonly<Record<PlannedScreenId, { readonly purpose: string; readonly arrives: string }>> = {
  diagnostics: {
    purpose:
      'Run an inference load test on a device and compare latency, throughput, errors and GPU memory with the model’s targets.',
    arrives: 'Diagnostics arrive with the diagnostics feature.',
  },
};

/** Props of PlannedScreen. */
export interface PlannedScreenProps {
  readonly screen: PlannedScreenId;
}

/** A screen's heading and an honest note that its feature is still to come. */
export function PlannedScreen({ screen }: PlannedScreenProps) {
  const title = SCREENS.find((entry) => entry.id === screen)?.title ?? screen;
  const plan = PLANS[screen];
  return (
    <Flex direction="column" gap="4" className="dh-screen">
      <Heading as="h1" size="8">
        {title}
      </Heading>
      <Card size="3" className="dh-empty" data-testid="planned-screen">
        <Flex direction="column" gap="3" align="start">
          <Badge highContrast size="3" color="gray" variant="outline">
            Not available in this version
          </Badge>
          <Text as="p" size="4">
            {plan.purpose}
          </Text>
          <Text as="p" size="3" color="gray">
            {plan.arrives}
          </Text>
        </Flex>
      </Card>
    </Flex>
  );
}
