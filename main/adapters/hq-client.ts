/**
 * The laptop's HTTPS client for HQ. The HQ certificate is pinned at enrolment: later connections
 * trust exactly that certificate (by SHA-256 fingerprint), whatever CAs or host names say, so a
 * laptop on a hostile network cannot be talked into syncing to another server.
 */
import { X509Certificate } from 'node:crypto';
import { Agent, request, type RequestOptions } from 'node:https';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { DeckhandError, ERROR_CODES, type ErrorCode } from '../../core/result';
import type { SignedReceipt } from '../../core/sync/checkpoint';
import {
  enrolResponseSchema,
  hqIdentitySchema,
  signedReceiptSchema,
  type BatchRequest,
  type EnrolRequest,
  type EnrolResponse,
  type HqIdentity,
} from '../../core/sync/wire';
import type { HqClient, HqClientFactory, HqFirstContact } from '../services/sync-service';

/** Milliseconds before a request with no answer counts as a network failure. */
const REQUEST_TIMEOUT_MS = 30_000;

/** Normalises a fingerprint to `AB:CD:…` (accepts lower case and no colons). */
export function normaliseFingerprint(text: string): string {
  const hex = text.replace(/[^0-9a-fA-F]/g, '').toUpperCase();
  return hex.match(/.{2}/g)?.join(':') ?? '';
}

/** Builds clients over node:https. */
export const createHttpsHqClient: HqClientFactory = (target) => {
  const pinned =
    target.certPem === null ? null : normaliseFingerprint(new X509Certificate(target.certPem).fingerprint256);
  const agent = new Agent({
    keepAlive: true,
    maxSockets: 4,
    ...(target.certPem === null
      ? { rejectUnauthorized: false }
      : {
          ca: target.certPem,
          checkServerIdentity: (_host: string, cert: PeerCertificate) =>
            normaliseFingerprint(cert.fingerprint256) === pinned
              ? undefined
              : new Error(`HQ presented certificate ${cert.fingerprint256}, not the pinned ${pinned}`),
        }),
  });
  const base = new URL(target.url);
  if (base.protocol !== 'https:')
    throw new DeckhandError('usage', `HQ's address must start with https:// (not ${base.protocol}).`);

  const call = async (
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    signal?: AbortSignal,
  ): Promise<{ value: unknown; cert: PeerCertificate | null }> => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const options: RequestOptions = {
      method,
      agent,
      host: base.hostname.replace(/^\[|\]$/g, ''),
      port: base.port || 443,
      path,
      headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {},
      ...(signal ? { signal } : {}),
    };
    return new Promise((resolve, reject) => {
      const req = request(options, (res) => {
        const cert = (res.socket as TLSSocket).getPeerCertificate?.(true) ?? null;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (error) => reject(networkError(error)));
        res.on('end', () => {
          let parsed: {
            ok?: unknown;
            value?: unknown;
            error?: { code?: unknown; message?: unknown; details?: unknown };
          };
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof parsed;
          } catch {
            reject(
              new DeckhandError(
                'hq_unreachable',
                `HQ sent an unreadable reply (HTTP ${res.statusCode}). Deckhand will try again.`,
              ),
            );
            return;
          }
          if (parsed.ok === true) resolve({ value: parsed.value, cert });
          else {
            const code = ERROR_CODES.includes(parsed.error?.code as ErrorCode)
              ? (parsed.error?.code as ErrorCode)
              : 'internal';
            const message =
              typeof parsed.error?.message === 'string' ? parsed.error.message : 'HQ refused the request.';
            // A server-side failure is worth retrying; report it as HQ being unavailable.
            if ((res.statusCode ?? 500) >= 500)
              reject(new DeckhandError('hq_unreachable', `HQ failed: ${message}`));
            else reject(new DeckhandError(code, message, parsed.error?.details));
          }
        });
      });
      req.setTimeout(REQUEST_TIMEOUT_MS, () =>
        req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })),
      );
      req.on('error', (error) =>
        reject(
          signal?.aborted ? new DeckhandError('cancelled', 'The sync was cancelled.') : networkError(error),
        ),
      );
      req.end(payload);
    });
  };

  const client: HqClient = {
    firstContact: async (signal) => {
      const { value, cert } = await call('GET', '/v1/identity', undefined, signal);
      if (cert === null || !cert.raw)
        throw new DeckhandError('hq_untrusted', 'HQ did not present a certificate.');
      const certPem = `-----BEGIN CERTIFICATE-----\n${cert.raw
        .toString('base64')
        .match(/.{1,64}/g)
        ?.join('\n')}\n-----END CERTIFICATE-----\n`;
      const identity: HqIdentity = hqIdentitySchema.parse(value);
      const contact: HqFirstContact = {
        identity,
        certPem,
        fingerprint: normaliseFingerprint(cert.fingerprint256),
      };
      return contact;
    },
    enrol: async (req: EnrolRequest, signal) =>
      enrolResponseSchema.parse((await call('POST', '/v1/enrol', req, signal)).value) as EnrolResponse,
    receipt: async (technician, signal) =>
      signedReceiptSchema.parse(
        (await call('GET', `/v1/technicians/${technician}/receipt`, undefined, signal)).value,
      ) as SignedReceipt,
    postBatch: async (batch: BatchRequest, signal) =>
      signedReceiptSchema.parse((await call('POST', '/v1/batches', batch, signal)).value) as SignedReceipt,
    close: () => agent.destroy(),
  };
  return client;
};

function networkError(error: Error): DeckhandError {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/.test(code) || /pinned/.test(error.message)) {
    return new DeckhandError(
      'hq_untrusted',
      `The server at this address is not the HQ this laptop enrolled with (${error.message}). Nothing was sent. Check the address, or ask HQ whether its certificate changed.`,
    );
  }
  return new DeckhandError(
    'hq_unreachable',
    `HQ cannot be reached (${code || error.message}). Deckhand will try again.`,
  );
}
