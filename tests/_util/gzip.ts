// gzip members for test images, made with the Web platform's CompressionStream
// (no file name, no extra fields: the header the kernel's gunzip accepts).

/** `data` as one gzip member. */
export async function gzip(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new CompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** `data` followed by NUL bytes up to a multiple of 4. */
export function pad4(data: Uint8Array): Uint8Array {
  const out = new Uint8Array((data.length + 3) & ~3);
  out.set(data);
  return out;
}
