/**
 * Where a bundle comes in: a path field (works in every host), the desktop app's file dialog, drag
 * and drop (the desktop app reads the dropped file's path; a browser cannot, and says so), and the
 * bundles found on removable drives.
 */
import { useId, useState, type DragEvent, type FormEvent } from 'react';
import { useStore } from 'zustand';
import { Button, Callout, Card, Flex, Heading, Text, TextField } from '@radix-ui/themes';
import { FileIcon, UploadIcon } from '@radix-ui/react-icons';
import type { StoreApi } from 'zustand/vanilla';
import { pathOfDroppedFile } from '../../bridge';
import type { BundlesState } from '../../state/bundles-store';
import { formatBytes } from './bundle-format';

/** Props of ImportPanel. */
export interface ImportPanelProps {
  readonly store: StoreApi<BundlesState>;
  /** The desktop app offers a native file dialog. */
  readonly canPickFile: boolean;
}

/** The import controls and drive offers. */
export function ImportPanel({ store, canPickFile }: ImportPanelProps) {
  const busy = useStore(store, (state) => state.job !== null);
  const offers = useStore(store, (state) => state.offers);
  const [path, setPath] = useState('');
  const [dropNote, setDropNote] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);
  const fieldId = useId();

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    void store.getState().importPath(path);
  };
  const onDrop = (event: DragEvent): void => {
    event.preventDefault();
    setDragging(false);
    const file = event.dataTransfer.files[0];
    if (file === undefined) return;
    const dropped = pathOfDroppedFile(file);
    if (dropped === null) {
      setDropNote(
        `Dropping files works in the desktop app. Here, type the path of ${file.name} in the field above.`,
      );
      return;
    }
    setDropNote(null);
    setPath(dropped);
    void store.getState().importPath(dropped);
  };

  return (
    <Card size="3">
      <Flex direction="column" gap="3">
        <Heading as="h2" size="5">
          Import a bundle
        </Heading>
        {offers.map((offer) => (
          <Callout.Root key={offer.path} highContrast color="blue" data-testid="bundle-offer">
            <Callout.Icon>
              <UploadIcon aria-hidden />
            </Callout.Icon>
            <Flex gap="3" align="center" justify="between" wrap="wrap" width="100%">
              <Callout.Text>
                Found <strong>{offer.fileName}</strong> ({formatBytes(offer.size)}) on the drive{' '}
                {offer.volume}
              </Callout.Text>
              <Button
                highContrast
                size="3"
                className="dh-touch"
                disabled={busy}
                onClick={() => void store.getState().importPath(offer.path)}
              >
                Import {offer.fileName}
              </Button>
            </Flex>
          </Callout.Root>
        ))}
        <form onSubmit={submit}>
          <Flex direction="column" gap="2">
            <Text as="label" htmlFor={fieldId} size="3" weight="medium">
              Bundle file (.dhb) or folder
            </Text>
            <Flex gap="3" wrap="wrap" align="center">
              <TextField.Root
                id={fieldId}
                size="3"
                className="dh-path-field"
                placeholder="/media/tech/STICK/site-42.dhb"
                value={path}
                onChange={(event) => setPath(event.target.value)}
                spellCheck={false}
              />
              <Button
                type="submit"
                highContrast
                size="3"
                className="dh-touch"
                disabled={busy || path.trim() === ''}
              >
                Import
              </Button>
              {canPickFile && (
                <Button
                  type="button"
                  size="3"
                  variant="surface"
                  className="dh-touch"
                  disabled={busy}
                  onClick={() =>
                    void store
                      .getState()
                      .pickFile()
                      .then((picked) => {
                        if (picked === null) return;
                        setPath(picked);
                        return store.getState().importPath(picked);
                      })
                  }
                >
                  <FileIcon aria-hidden /> Choose file…
                </Button>
              )}
            </Flex>
          </Flex>
        </form>
        <div
          className={dragging ? 'dh-dropzone dh-dropzone-active' : 'dh-dropzone'}
          data-testid="bundle-dropzone"
          onDragOver={(event) => {
            event.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={onDrop}
        >
          <Text size="3" color="gray">
            Or drop a .dhb file here
          </Text>
        </div>
        {dropNote !== null && (
          <Text as="p" size="3" role="status">
            {dropNote}
          </Text>
        )}
      </Flex>
    </Card>
  );
}
