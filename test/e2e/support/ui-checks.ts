/** Checks of the field rules (gloves, sunlight) that every screen must keep. */
import type { Page } from '@playwright/test';

/** Visible buttons, links, inputs and selects smaller than the 44 px field rule, by accessible text. */
export async function undersizedControls(page: Page): Promise<string[]> {
  return page
    .locator(
      'main button, main a[href], main input:not([type=hidden]), main select, main [role=radio], nav a[href]',
    )
    .evaluateAll((elements) =>
      elements
        .filter((el) => (el as HTMLElement).offsetParent !== null)
        // A Radix text field's touch target is its root, which wraps the bare <input>.
        .map((el) => ({ el, box: (el.closest('.rt-TextFieldRoot') ?? el).getBoundingClientRect() }))
        .filter(({ box }) => box.height < 44 || box.width < 44)
        .map(
          ({ el, box }) =>
            `${el.tagName.toLowerCase()} "${(el.textContent ?? '').trim().slice(0, 30)}" ${Math.round(box.width)}x${Math.round(box.height)}`,
        ),
    );
}
