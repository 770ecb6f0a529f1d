/** The left navigation: one link per screen, reachable by Tab, with arrow keys moving within the list. */
import type { KeyboardEvent } from 'react';
import { Text } from '@radix-ui/themes';
import { SCREENS, hashFor, type ScreenId } from './screens';

/** Props of SideNav. */
export interface SideNavProps {
  readonly current: ScreenId;
}

/** Renders the navigation and marks the current screen with aria-current. */
export function SideNav({ current }: SideNavProps) {
  return (
    <nav aria-label="Screens" className="dh-nav">
      <Text as="div" size="5" weight="bold" className="dh-nav-brand">
        Deckhand
      </Text>
      <ul className="dh-nav-list" onKeyDown={moveFocusWithArrows}>
        {SCREENS.map(({ id, title, icon: Icon }) => (
          <li key={id}>
            <a href={hashFor(id)} className="dh-nav-link" aria-current={id === current ? 'page' : undefined}>
              <Icon aria-hidden />
              <span>{title}</span>
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

/** Arrow keys, Home and End move focus between links; every link stays in the Tab order as well. */
function moveFocusWithArrows(event: KeyboardEvent<HTMLUListElement>): void {
  const links = [...event.currentTarget.querySelectorAll<HTMLAnchorElement>('a.dh-nav-link')];
  const index = links.findIndex((link) => link === document.activeElement);
  if (index < 0) return;
  let next: number;
  switch (event.key) {
    case 'ArrowDown':
      next = (index + 1) % links.length;
      break;
    case 'ArrowUp':
      next = (index - 1 + links.length) % links.length;
      break;
    case 'Home':
      next = 0;
      break;
    case 'End':
      next = links.length - 1;
      break;
    default:
      return;
  }
  event.preventDefault();
  links[next]?.focus();
}
