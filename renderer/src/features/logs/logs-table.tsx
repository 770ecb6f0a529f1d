/**
 * The deploy log as a virtualized table: fixed-height rows, only those in view (plus a few) in the
 * DOM, and pages fetched once scrolling settles, so 100,000 events scroll as smoothly as 100.
 */
import { useEffect, useRef } from 'react';
import { useStore } from 'zustand';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { StoreApi } from 'zustand/vanilla';
import type { LogRow } from '../../bridge';
import { rowAt, type LogsState } from '../../state/logs-store';
import { formatLocalTime, shortHash, summarizePayload } from './log-format';

/** Height of every row in pixels; fixed so offsets are arithmetic, never measured. */
export const ROW_HEIGHT = 44;

/** How long the view must rest before the pages it shows are fetched; a scrollbar drag across the whole log stays one fetch. */
export const FETCH_SETTLE_MS = 60;

/** The column headers, in order. */
export const LOG_COLUMNS = ['Seq', 'Time', 'Kind', 'Device', 'Details', 'Hash'] as const;

/** Props of LogsTable. */
export interface LogsTableProps {
  readonly store: StoreApi<LogsState>;
}

/** The table; the row count comes from the store's total. */
export function LogsTable({ store }: LogsTableProps) {
  const total = useStore(store, (state) => state.total) ?? 0;
  const pages = useStore(store, (state) => state.pages);
  const filter = useStore(store, (state) => state.filter);
  const ensureRows = useStore(store, (state) => state.ensureRows);
  const scrollRef = useRef<HTMLDivElement>(null);

  // This app does not use the React Compiler; the table re-renders on scroll by design.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: total,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 8,
    // flushSync inside React 19's commit phase is refused with a warning; fixed-height rows plus
    // overscan hide the one frame of batching this costs.
    useFlushSync: false,
  });
  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index;
  const last = items[items.length - 1]?.index;

  useEffect(() => {
    if (first === undefined || last === undefined) return undefined;
    const timer = setTimeout(() => ensureRows(first, last), FETCH_SETTLE_MS);
    return () => clearTimeout(timer);
  }, [first, last, ensureRows]);

  // A new filter is a new result set: start it at the top.
  useEffect(() => {
    if (scrollRef.current !== null) scrollTo(scrollRef.current, 0);
  }, [filter]);

  // New events arrive at the top (newest first). When the technician has scrolled down, shift by the
  // added rows so the rows they are reading stay put instead of sliding away under them.
  const previousTotal = useRef(total);
  useEffect(() => {
    const element = scrollRef.current;
    const added = total - previousTotal.current;
    previousTotal.current = total;
    if (element !== null && added > 0 && element.scrollTop > 0)
      scrollTo(element, element.scrollTop + added * ROW_HEIGHT);
  }, [total]);

  return (
    <div
      role="table"
      aria-label="Deploy log"
      aria-rowcount={total + 1}
      data-testid="logs-table"
      className="dh-logs-table"
    >
      <div role="rowgroup" className="dh-logs-head">
        <div role="row" aria-rowindex={1} className="dh-logs-grid">
          {LOG_COLUMNS.map((column) => (
            <div role="columnheader" key={column}>
              {column}
            </div>
          ))}
        </div>
      </div>
      {/* Focusable so arrow keys and Page Up/Down scroll the log without a mouse. */}
      <div
        role="rowgroup"
        ref={scrollRef}
        className="dh-logs-body"
        tabIndex={0}
        aria-label="Log events, newest first"
      >
        <div className="dh-logs-sizer" style={{ height: virtualizer.getTotalSize() }}>
          {items.map((item) => (
            <LogTableRow
              key={item.key}
              index={item.index}
              start={item.start}
              row={rowAt({ pages }, item.index)}
            />
          ))}
        </div>
      </div>
    </div>
  );
}

/**
 * Moves the view and tells the virtualizer at once; the browser's own scroll event comes a frame
 * later (and not at all in jsdom), which would render one frame of rows for the old position.
 */
function scrollTo(element: HTMLElement, top: number): void {
  element.scrollTop = top;
  element.dispatchEvent(new Event('scroll'));
}

// Kinds that report something going wrong; shown in red so they stand out while scrolling.
const TROUBLE = /fail|error|rollback|reject|broken|abort/i;

function LogTableRow({
  index,
  start,
  row,
}: {
  readonly index: number;
  readonly start: number;
  readonly row: LogRow | undefined;
}) {
  const style = { height: ROW_HEIGHT, transform: `translateY(${start}px)` };
  if (row === undefined) {
    return (
      <div
        role="row"
        aria-rowindex={index + 2}
        aria-busy="true"
        data-testid="logs-row"
        className="dh-logs-grid dh-logs-row"
        style={style}
      >
        <div role="cell" aria-colspan={LOG_COLUMNS.length} className="dh-logs-pending">
          Loading…
        </div>
      </div>
    );
  }
  const summary = summarizePayload(row.payload);
  return (
    <div
      role="row"
      aria-rowindex={index + 2}
      data-testid="logs-row"
      data-seq={row.seq}
      className="dh-logs-grid dh-logs-row"
      style={style}
    >
      <div role="cell" className="dh-num">
        {row.seq}
      </div>
      <div role="cell">
        <time dateTime={row.time}>{formatLocalTime(row.time)}</time>
      </div>
      <div role="cell" className={TROUBLE.test(row.kind) ? 'dh-mono dh-trouble' : 'dh-mono'} title={row.kind}>
        {row.kind}
      </div>
      <div role="cell" className="dh-mono" title={row.device ?? undefined}>
        {row.device ?? '—'}
      </div>
      <div role="cell" title={summary}>
        {summary}
      </div>
      <div role="cell" className="dh-mono" title={row.hash}>
        {shortHash(row.hash)}
      </div>
    </div>
  );
}
