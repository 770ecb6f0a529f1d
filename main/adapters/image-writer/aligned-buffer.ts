/**
 * Page-aligned buffers for O_DIRECT I/O. O_DIRECT needs the memory address aligned to the drive's
 * logical block size; Node's Buffers come from malloc (16-byte aligned), so the kernel answers
 * EINVAL. A WebAssembly.Memory is mapped by V8 on its own pages (64 KiB wasm pages on a page-aligned
 * mapping), so a Buffer over it is aligned without a native module (etcher-sdk uses @ronomon/direct-io
 * for the same purpose).
 */
const WASM_PAGE = 64 * 1024;

// The node tsconfig has no DOM or wasm typings; this is the one constructor used.
const wasm = (
  globalThis as unknown as {
    WebAssembly: { Memory: new (size: { initial: number; maximum: number }) => { buffer: ArrayBuffer } };
  }
).WebAssembly;

/** Allocates `bytes` (rounded up to 64 KiB) of page-aligned memory. */
export function alignedBuffer(bytes: number): Buffer {
  const pages = Math.max(1, Math.ceil(bytes / WASM_PAGE));
  return Buffer.from(new wasm.Memory({ initial: pages, maximum: pages }).buffer);
}
