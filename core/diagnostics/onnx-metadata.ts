/**
 * Reads an ONNX model's `metadata_props` (ModelProto field 14) without decoding the graph: a scan of
 * the top-level protobuf fields that skips the rest, so a large model costs no copy of its weights.
 * Field numbers from onnx/onnx.proto (ModelProto, StringStringEntryProto).
 */

const METADATA_PROPS_FIELD = 14;

/** The model's metadata_props as a map; throws on bytes that are not a protobuf message. */
export function readModelMetadataProps(bytes: Uint8Array): Map<string, string> {
  const props = new Map<string, string>();
  for (const field of fields(bytes)) {
    if (field.number !== METADATA_PROPS_FIELD || field.bytes === null) continue;
    let key = '';
    let value = '';
    for (const inner of fields(field.bytes)) {
      if (inner.bytes === null) continue;
      if (inner.number === 1) key = new TextDecoder().decode(inner.bytes);
      if (inner.number === 2) value = new TextDecoder().decode(inner.bytes);
    }
    props.set(key, value);
  }
  return props;
}

interface Field {
  readonly number: number;
  /** Payload of a length-delimited field, else null. */
  readonly bytes: Uint8Array | null;
}

function* fields(bytes: Uint8Array): Generator<Field> {
  let offset = 0;
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (offset >= bytes.length || shift > 63) throw new Error('truncated varint');
      const byte = bytes[offset++] as number;
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
    }
  };
  while (offset < bytes.length) {
    const tag = varint();
    const number = Math.floor(tag / 8);
    const wire = tag % 8;
    if (number === 0) throw new Error('field number 0');
    switch (wire) {
      case 0:
        varint();
        yield { number, bytes: null };
        break;
      case 1:
        offset += 8;
        yield { number, bytes: null };
        break;
      case 2: {
        const length = varint();
        if (offset + length > bytes.length) throw new Error('truncated field');
        yield { number, bytes: bytes.subarray(offset, offset + length) };
        offset += length;
        break;
      }
      case 5:
        offset += 4;
        yield { number, bytes: null };
        break;
      default:
        throw new Error(`wire type ${wire}`);
    }
    if (offset > bytes.length) throw new Error('truncated field');
  }
}
