/** Exhaustiveness check for union switches; a new union member becomes a type error at the switch. */
export function assertNever(value: never): never {
  throw new Error(`Unexpected value: ${JSON.stringify(value)}`);
}
