/** Shared setup for renderer tests: jest-dom matchers, DOM cleanup, and the browser APIs jsdom lacks. */
import '@testing-library/jest-dom/vitest';
import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';

afterEach(() => {
  cleanup();
  window.localStorage.clear();
  window.location.hash = '';
});

// Radix measures some controls with ResizeObserver, which jsdom does not implement. A stub that never
// fires is enough: nothing under test depends on resize notifications.
if (typeof window.ResizeObserver === 'undefined') {
  window.ResizeObserver = class {
    observe(): void {}
    unobserve(): void {}
    disconnect(): void {}
  };
}
