/** The kind and device menus above the log table. Native selects: large, keyboard- and touch-friendly. */
import { useId } from 'react';
import { useStore } from 'zustand';
import { Flex, Text } from '@radix-ui/themes';
import type { StoreApi } from 'zustand/vanilla';
import type { LogsState } from '../../state/logs-store';

/** Props of LogsFilters. */
export interface LogsFiltersProps {
  readonly store: StoreApi<LogsState>;
}

// A select's value for "no filter"; real kinds and devices are never empty (the contract trims and requires 1+ chars).
const ALL = '';

/** Kind and device selects fed by the log's facets, each with "All". */
export function LogsFilters({ store }: LogsFiltersProps) {
  const facets = useStore(store, (state) => state.facets);
  const filter = useStore(store, (state) => state.filter);
  const setFilter = useStore(store, (state) => state.setFilter);
  const kindId = useId();
  const deviceId = useId();

  return (
    <Flex gap="4" wrap="wrap" align="end">
      <Flex direction="column" gap="1">
        <Text as="label" htmlFor={kindId} size="3" weight="medium">
          Kind
        </Text>
        <select
          id={kindId}
          className="dh-select"
          value={filter.kind ?? ALL}
          onChange={(event) =>
            setFilter({ ...filter, kind: event.target.value === ALL ? null : event.target.value })
          }
        >
          <option value={ALL}>All</option>
          {options(facets?.kinds, filter.kind)}
        </select>
      </Flex>
      <Flex direction="column" gap="1">
        <Text as="label" htmlFor={deviceId} size="3" weight="medium">
          Device
        </Text>
        <select
          id={deviceId}
          className="dh-select"
          value={filter.device ?? ALL}
          onChange={(event) =>
            setFilter({ ...filter, device: event.target.value === ALL ? null : event.target.value })
          }
        >
          <option value={ALL}>All</option>
          {options(facets?.devices, filter.device)}
        </select>
      </Flex>
    </Flex>
  );
}

/** The menu's options; the selected value stays listed even if the facets no longer contain it. */
function options(values: readonly string[] | undefined, selected: string | null) {
  const list = values ?? [];
  const all = selected !== null && !list.includes(selected) ? [selected, ...list] : list;
  return all.map((value) => (
    <option key={value} value={value}>
      {value}
    </option>
  ));
}
