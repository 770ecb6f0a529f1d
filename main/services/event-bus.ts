/** Typed fan-out of backend events (progress, device attach/detach, log appends) to whichever host listens. */
import type { EventName, EventPayloads } from '../ipc/contract';

/** A listener for every event; hosts forward these to their windows or sockets. */
export type EventListener = <E extends EventName>(name: E, payload: EventPayloads[E]) => void;

/** Publishes backend events to subscribed hosts. */
export interface EventBus {
  emit<E extends EventName>(name: E, payload: EventPayloads[E]): void;
  /** Returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void;
}

/** Creates an in-process event bus. A throwing listener does not stop the others. */
export function createEventBus(onListenerError: (error: unknown) => void = () => {}): EventBus {
  const listeners = new Set<EventListener>();
  return {
    emit(name, payload) {
      for (const listener of listeners) {
        try {
          listener(name, payload);
        } catch (error) {
          onListenerError(error);
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
