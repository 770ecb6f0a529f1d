/**
 * What the HQ service needs from its database, implemented once for SQLite (the default) and once
 * for PostgreSQL (for scale). Everything that must be atomic per technician (read the head, check
 * overlaps, append, move the head) runs inside `withTechnician`, which holds that technician's lock.
 */
import type { SignedCheckpoint } from '../../core/sync/checkpoint';
import type { WireEvent } from '../../core/sync/wire';

/** An enrolled technician key and how far HQ holds their log. */
export interface TechnicianRecord {
  readonly keyId: string;
  readonly publicKey: string;
  readonly name: string;
  readonly laptopId: string;
  readonly enrolledAt: string;
  readonly revokedAt: string | null;
  /** Highest contiguous seq held (0 when none). */
  readonly headSeq: number;
  /** Hash of event `headSeq` (GENESIS_HASH when none). */
  readonly headHash: string;
}

/** HQ's own keys, kept in its database so a restart keeps the identity laptops pinned. */
export interface HqIdentityRecord {
  readonly name: string;
  /** base64 of the Ed25519 PKCS#8 DER receipt-signing key. */
  readonly signingKey: string;
  readonly tlsCertPem: string;
  readonly tlsKeyPem: string;
}

/** An event as HQ stores it. */
export interface HqEventRow extends WireEvent {
  readonly technician: string;
}

/** Operations under one technician's lock, inside one transaction. */
export interface TechnicianTx {
  /** The technician as read under the lock. */
  readonly technician: TechnicianRecord;
  /** Hashes of events `from`..`to` (inclusive), in seq order. */
  hashesBetween(from: number, to: number): Promise<string[]>;
  /** Appends events that continue the head and moves the head to the last one. */
  append(events: readonly WireEvent[]): Promise<void>;
  /** Keeps a signed checkpoint the technician sent. */
  saveCheckpoint(signed: SignedCheckpoint): Promise<void>;
}

/** The HQ database. */
export interface HqStore {
  readonly kind: 'sqlite' | 'postgres';
  loadIdentity(): Promise<HqIdentityRecord | null>;
  /** Saves the identity unless one exists; returns the one that is stored (first writer wins). */
  saveIdentity(identity: HqIdentityRecord): Promise<HqIdentityRecord>;
  technician(keyId: string): Promise<TechnicianRecord | null>;
  technicians(): Promise<TechnicianRecord[]>;
  /** Enrols a key; enrolling the same key again returns the existing record. */
  enrol(
    record: Pick<TechnicianRecord, 'keyId' | 'publicKey' | 'name' | 'laptopId' | 'enrolledAt'>,
  ): Promise<TechnicianRecord>;
  /** Marks a key revoked; false when it is not enrolled. */
  revoke(keyId: string, at: string): Promise<boolean>;
  /** Runs `work` holding the technician's lock, in one transaction (rolled back if it throws). */
  withTechnician<T>(keyId: string, work: (tx: TechnicianTx) => Promise<T>): Promise<T>;
  /** Events of the given kinds across the fleet, oldest first. */
  eventsOfKinds(kinds: readonly string[]): Promise<HqEventRow[]>;
  /** A technician's events from `fromSeq`, at most `limit`, in seq order. */
  events(technician: string, fromSeq: number, limit: number): Promise<HqEventRow[]>;
  /** Total events held. */
  countEvents(): Promise<number>;
  close(): Promise<void>;
}
