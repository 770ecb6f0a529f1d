/**
 * SMP management groups, command ids and result codes used by Deckhand (Zephyr MCUmgr: OS management
 * group 0, image management group 1). SMP v1 devices answer `{ rc }` with an MGMT_ERR code; SMP v2
 * devices answer `{ err: { group, rc } }` with the group's own code.
 */

/** Group ids. */
export const SMP_GROUP = { os: 0, image: 1 } as const;

/** OS management commands (group 0). */
export const OS_COMMAND = { echo: 0, reset: 5, mcumgrParams: 6 } as const;

/** Image management commands (group 1). */
export const IMAGE_COMMAND = { state: 0, upload: 1, erase: 5 } as const;

/** SMP v1 result codes (MGMT_ERR_*). */
export const MGMT_ERR = {
  EOK: 0,
  EUNKNOWN: 1,
  ENOMEM: 2,
  EINVAL: 3,
  ETIMEOUT: 4,
  ENOENT: 5,
  EBADSTATE: 6,
  EMSGSIZE: 7,
  ENOTSUP: 8,
  ECORRUPT: 9,
  EBUSY: 10,
  EACCESSDENIED: 11,
  UNSUPPORTED_TOO_OLD: 12,
  UNSUPPORTED_TOO_NEW: 13,
} as const;

/** Image management group result codes (IMG_MGMT_ERR_*, SMP v2). */
export const IMG_MGMT_ERR = {
  OK: 0,
  UNKNOWN: 1,
  NO_IMAGE: 3,
  NO_TLVS: 4,
  INVALID_TLV: 5,
  HASH_NOT_FOUND: 8,
  NO_FREE_SLOT: 9,
  FLASH_WRITE_FAILED: 12,
  INVALID_SLOT: 14,
  INVALID_OFFSET: 20,
  INVALID_LENGTH: 21,
  INVALID_IMAGE_HEADER: 22,
  INVALID_IMAGE_HEADER_MAGIC: 23,
  INVALID_HASH: 24,
  IMAGE_ALREADY_PENDING: 28,
  INVALID_IMAGE_TOO_LARGE: 30,
  INVALID_IMAGE_DATA_OVERRUN: 31,
  IMAGE_CONFIRMATION_DENIED: 32,
  IMAGE_SETTING_TEST_TO_ACTIVE_DENIED: 33,
} as const;

/** The SMP v1 code a v2 image-group code becomes for a v1 client (Zephyr img_mgmt_translate_error_code). */
export function imageErrToMgmtErr(code: number): number {
  switch (code) {
    case IMG_MGMT_ERR.OK:
      return MGMT_ERR.EOK;
    case IMG_MGMT_ERR.NO_IMAGE:
    case IMG_MGMT_ERR.NO_TLVS:
      return MGMT_ERR.ENOENT;
    case IMG_MGMT_ERR.NO_FREE_SLOT:
    case IMG_MGMT_ERR.IMAGE_ALREADY_PENDING:
      return MGMT_ERR.EBADSTATE;
    case IMG_MGMT_ERR.INVALID_SLOT:
    case IMG_MGMT_ERR.INVALID_OFFSET:
    case IMG_MGMT_ERR.INVALID_LENGTH:
    case IMG_MGMT_ERR.INVALID_IMAGE_HEADER:
    case IMG_MGMT_ERR.INVALID_IMAGE_HEADER_MAGIC:
    case IMG_MGMT_ERR.INVALID_HASH:
    case IMG_MGMT_ERR.HASH_NOT_FOUND:
    case IMG_MGMT_ERR.INVALID_IMAGE_TOO_LARGE:
    case IMG_MGMT_ERR.INVALID_IMAGE_DATA_OVERRUN:
      return MGMT_ERR.EINVAL;
    case IMG_MGMT_ERR.IMAGE_CONFIRMATION_DENIED:
    case IMG_MGMT_ERR.IMAGE_SETTING_TEST_TO_ACTIVE_DENIED:
      return MGMT_ERR.EACCESSDENIED;
    default:
      return MGMT_ERR.EUNKNOWN;
  }
}

/** A readable name for a result code, for messages. */
export function smpErrorName(group: number | null, rc: number): string {
  const table: Record<string, number> = group === SMP_GROUP.image ? IMG_MGMT_ERR : MGMT_ERR;
  const name = Object.entries(table).find(([, value]) => value === rc)?.[0];
  const prefix = group === SMP_GROUP.image ? 'IMG_MGMT_ERR_' : 'MGMT_ERR_';
  return name === undefined ? `${prefix}${rc}` : `${prefix}${name}`;
}
