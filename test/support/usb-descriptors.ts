/** Builds USB configuration descriptors for the device models (USB 2.0 § 9.6.3–9.6.6). */

/** One interface alternate setting with what follows it. */
export interface ModelInterface {
  readonly number: number;
  readonly alternate: number;
  readonly interfaceClass: number;
  readonly subclass: number;
  readonly protocol: number;
  readonly nameIndex: number;
  /** Class descriptors and endpoint descriptors after the interface descriptor. */
  readonly extra?: readonly Uint8Array[];
}

/** A bulk endpoint descriptor (address with 0x80 for IN). */
export function bulkEndpoint(address: number, maxPacket = 512): Uint8Array {
  return Uint8Array.of(7, 0x05, address, 0x02, maxPacket & 0xff, maxPacket >> 8, 0);
}

/** A configuration descriptor holding the interfaces. */
export function configurationDescriptor(interfaces: readonly ModelInterface[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const i of interfaces) {
    const endpoints = (i.extra ?? []).filter((d) => d[1] === 0x05).length;
    parts.push(
      Uint8Array.of(
        9,
        0x04,
        i.number,
        i.alternate,
        endpoints,
        i.interfaceClass,
        i.subclass,
        i.protocol,
        i.nameIndex,
      ),
    );
    parts.push(...(i.extra ?? []));
  }
  const total = 9 + parts.reduce((sum, p) => sum + p.length, 0);
  const count = new Set(interfaces.map((i) => i.number)).size;
  const out = new Uint8Array(total);
  out.set([9, 0x02, total & 0xff, total >> 8, count, 1, 0, 0x80, 50]);
  let at = 9;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
