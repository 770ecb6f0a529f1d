/** Tells the technician when the backend is gone, since every action after that would fail. */
import { useStore } from 'zustand';
import { Button, Callout, Flex } from '@radix-ui/themes';
import { ExclamationTriangleIcon, ReloadIcon } from '@radix-ui/react-icons';
import { useStores } from '../state/stores-context';

/** A red banner while the bridge connection is lost; nothing otherwise. */
export function ConnectionBanner() {
  const connection = useStore(useStores().connection, (state) => state.connection);
  if (connection !== 'lost') return null;
  return (
    <Callout.Root
      highContrast
      color="red"
      role="alert"
      size="2"
      className="dh-banner"
      data-testid="connection-banner"
    >
      <Callout.Icon>
        <ExclamationTriangleIcon aria-hidden />
      </Callout.Icon>
      <Flex gap="3" align="center" justify="between" wrap="wrap">
        <Callout.Text>Lost the connection to Deckhand. Reload the page to reconnect.</Callout.Text>
        <Button highContrast size="3" className="dh-touch" onClick={() => window.location.reload()}>
          <ReloadIcon aria-hidden /> Reload
        </Button>
      </Flex>
    </Callout.Root>
  );
}
