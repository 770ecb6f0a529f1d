/** The one way a screen shows a failed action: red, announced, the technician-facing message and its code. */
import type { ReactNode } from 'react';
import { Callout, Text } from '@radix-ui/themes';
import { CrossCircledIcon } from '@radix-ui/react-icons';
import type { AppErrorData } from '../../../core/result';

/** Props of ErrorCallout. */
export interface ErrorCalloutProps {
  readonly error: AppErrorData;
  readonly testId?: string;
  /** An action that may help, such as a Try again button. */
  readonly children?: ReactNode;
}

/** Shows `error.message` with its code, and any action after it. */
export function ErrorCallout({ error, testId, children }: ErrorCalloutProps) {
  return (
    <Callout.Root color="red" highContrast role="alert" data-testid={testId}>
      <Callout.Icon>
        <CrossCircledIcon aria-hidden />
      </Callout.Icon>
      <Callout.Text>
        {error.message} <Text color="gray">[{error.code}]</Text>
      </Callout.Text>
      {children}
    </Callout.Root>
  );
}
