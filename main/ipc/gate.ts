/**
 * The one gate every renderer request passes, whichever host carried it (Electron IPC or the
 * browser host's WebSocket): trusted sender → known verb → schema parse → service → Result.
 * Nothing executes for an untrusted sender, an unknown verb or an input that fails its schema.
 */
import { DeckhandError, fail, ok, toErrorData, type Result } from '../../core/result';
import { verbInputs, type VerbName, type VerbOutput, type VerbParsedInput } from './contract';

/** The service behind each verb. Handlers receive input that already passed its schema. */
export type VerbHandlers = {
  readonly [V in VerbName]: (input: VerbParsedInput<V>) => VerbOutput<V> | Promise<VerbOutput<V>>;
};

/** The transport's judgement of who sent a request. */
export type SenderVerdict = { readonly trusted: true } | { readonly trusted: false; readonly reason: string };

/** Receives failures that are not the user's doing (internal errors), for the application log. */
export type GateLogger = (verb: string, thrown: unknown) => void;

/** A function that carries one request through the gate. */
export type Gate = (verb: unknown, input: unknown, sender: SenderVerdict) => Promise<Result<unknown>>;

/** Builds the gate around a complete handler map. */
export function createGate(handlers: VerbHandlers, logInternal: GateLogger = () => {}): Gate {
  return async (verb, input, sender) => {
    if (!sender.trusted) {
      return fail('untrusted_sender', 'This request did not come from the Deckhand window and was refused.', {
        reason: sender.reason,
      });
    }
    if (typeof verb !== 'string' || !Object.hasOwn(verbInputs, verb)) {
      return fail('unknown_verb', 'Deckhand does not know this action. The app may be out of date.');
    }
    const name = verb as VerbName;
    const parsed = verbInputs[name].safeParse(input);
    if (!parsed.success) {
      return fail('invalid_input', 'The request was malformed and nothing was done.', {
        issues: parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
      });
    }
    try {
      // The map is keyed by the same verb, so the parsed input matches this handler's parameter.
      const handler = handlers[name] as (value: unknown) => unknown;
      return ok(await handler(parsed.data));
    } catch (thrown) {
      if (!(thrown instanceof DeckhandError) || thrown.code === 'internal') logInternal(name, thrown);
      return { ok: false, error: toErrorData(thrown) };
    }
  };
}
