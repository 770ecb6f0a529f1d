/**
 * The serial console on the Devices screen: a terminal (xterm.js) showing what a device prints on
 * its serial port, read-only unless the technician switches Interactive on, so boot output can be
 * watched while the device is flashed. Everything it prints is also kept in the deploy log.
 */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useStore } from 'zustand';
import { Badge, Button, Card, Flex, Heading, Text, TextField } from '@radix-ui/themes';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { useStores } from '../../state/stores-context';
import { ErrorCallout } from '../../ui/error-callout';

const DEFAULT_BAUD = 115200;
const CONSOLE_FONT = "'DejaVu Sans Mono', 'Liberation Mono', Menlo, Consolas, monospace";

/** The console card: port form, terminal, Interactive toggle and Close. */
export function SerialConsole({ suggestedPorts }: { readonly suggestedPorts: readonly string[] }) {
  const store = useStores().console;
  const open = useStore(store, (state) => state.console);
  const busy = useStore(store, (state) => state.busy);
  const error = useStore(store, (state) => state.error);
  const ended = useStore(store, (state) => state.ended);
  const openPort = useStore(store, (state) => state.open);
  const setInteractive = useStore(store, (state) => state.setInteractive);
  const close = useStore(store, (state) => state.close);
  const subscribe = useStore(store, (state) => state.subscribe);
  const [port, setPort] = useState('');
  const [baud, setBaud] = useState(String(DEFAULT_BAUD));

  useEffect(() => subscribe(), [subscribe]);

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    const chosen = port.trim() || suggestedPorts[0] || '';
    const rate = Number(baud);
    if (chosen === '') return;
    void openPort(chosen, Number.isInteger(rate) && rate > 0 ? rate : DEFAULT_BAUD);
  };

  return (
    <Card size="3" data-testid="serial-console">
      <Flex direction="column" gap="3">
        <Heading as="h2" size="5">
          Serial console
        </Heading>
        <form onSubmit={submit} aria-label="Open serial console">
          <Flex gap="3" align="end" wrap="wrap">
            <label style={{ flex: '1 1 16rem' }}>
              <Text as="div" size="3" weight="bold" mb="1">
                Serial port
              </Text>
              <TextField.Root
                size="3"
                value={port}
                list="dh-serial-ports"
                placeholder={suggestedPorts[0] ?? '/dev/ttyUSB0'}
                onChange={(e) => setPort(e.target.value)}
              />
              <datalist id="dh-serial-ports">
                {suggestedPorts.map((p) => (
                  <option key={p} value={p} />
                ))}
              </datalist>
            </label>
            <label style={{ flex: '0 1 9rem' }}>
              <Text as="div" size="3" weight="bold" mb="1">
                Baud
              </Text>
              <TextField.Root
                size="3"
                inputMode="numeric"
                value={baud}
                onChange={(e) => setBaud(e.target.value)}
              />
            </label>
            <Button type="submit" size="3" highContrast disabled={busy}>
              {open === null ? 'Open console' : 'Switch port'}
            </Button>
          </Flex>
        </form>
        {error !== null && <ErrorCallout error={error} testId="console-error" />}
        {ended !== null && open === null && (
          <Text as="p" size="3" color="amber" data-testid="console-ended">
            The console closed: {ended}.
          </Text>
        )}
        {open !== null && (
          <>
            <Flex gap="3" align="center" wrap="wrap">
              <Text size="3">
                <strong>{open.port}</strong> at {open.baud} baud
              </Text>
              <Badge
                size="3"
                color={open.interactive ? 'amber' : 'gray'}
                highContrast
                data-testid="console-mode"
              >
                {open.interactive ? 'Interactive: keys go to the device' : 'Read-only'}
              </Badge>
              <Button
                size="3"
                variant={open.interactive ? 'solid' : 'soft'}
                color={open.interactive ? 'amber' : undefined}
                highContrast
                aria-pressed={open.interactive}
                disabled={busy}
                onClick={() => void setInteractive(!open.interactive)}
              >
                Interactive
              </Button>
              <Button size="3" variant="soft" color="gray" highContrast onClick={() => void close()}>
                Close console
              </Button>
            </Flex>
            <ConsoleTerminal key={open.consoleId} interactive={open.interactive} port={open.port} />
          </>
        )}
      </Flex>
    </Card>
  );
}

/** The xterm.js view of the open console's output. */
function ConsoleTerminal({ interactive, port }: { readonly interactive: boolean; readonly port: string }) {
  const store = useStores().console;
  const onOutput = useStore(store, (state) => state.onOutput);
  const send = useStore(store, (state) => state.send);
  const host = useRef<HTMLDivElement>(null);
  const terminal = useRef<Terminal | null>(null);

  useEffect(() => {
    const element = host.current;
    if (element === null) return;
    const term = new Terminal({
      // Devices print bare \n line ends; the terminal needs \r\n to start the next line at column 0.
      convertEol: true,
      disableStdin: true,
      // The same font and size as .dh-console-terminal in app.css, so xterm measures what is drawn.
      fontFamily: CONSOLE_FONT,
      fontSize: 15,
      rows: 20,
      cols: 100,
      scrollback: 5000,
      screenReaderMode: true,
      // High contrast for sunlight: white on black, an amber cursor.
      theme: { background: '#000000', foreground: '#ffffff', cursor: '#ffb000' },
    });
    term.open(element);
    terminal.current = term;
    const offOutput = onOutput((data) => term.write(data));
    const input = term.onData((data) => void send(data));
    return () => {
      offOutput();
      input.dispose();
      term.dispose();
      terminal.current = null;
    };
  }, [onOutput, send]);

  useEffect(() => {
    const term = terminal.current;
    if (term === null) return;
    term.options.disableStdin = !interactive;
    term.options.cursorBlink = interactive;
    if (interactive) term.focus();
  }, [interactive]);

  return (
    <div
      ref={host}
      className="dh-console-terminal"
      role="region"
      aria-label={`Console output of ${port}`}
      data-testid="console-terminal"
    />
  );
}
