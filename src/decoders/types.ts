// The contract between the member walk (src/unpack.ts) and the decoders of
// the seven compression formats. A decoder is the kernel's decompress_fn
// called with a whole buffer and no fill(): it sees everything from the
// member's first byte to the end of the image, hands its output to flush()
// in the kernel decoder's own buffer sizes, and says how many input bytes the
// member used (my_inptr), because unpack_to_rootfs() goes on after them.

/**
 * Receives one output buffer of the decoder. The chunk is only valid during
 * the call. Returns false when the kernel's flush_buffer() would return -1
 * (the unpacker already has a message): the decoder then stops at once.
 */
export type Flush = (chunk: Uint8Array) => boolean;

/** What a decoder returns: decompress_fn's return value, my_inptr, error(). */
export interface DecodeResult {
  /** Input bytes the kernel counts as used by the member (my_inptr). */
  consumed: number;
  /** The decoder returned 0. */
  ok: boolean;
  /** The first message the decoder passed to error(), if any. */
  message?: string;
}

/**
 * The rest of an image that stays in a file: bytes are read on demand, so a
 * decoder that can take its input in pieces never holds the whole member.
 */
export interface ImageReader {
  /** Bytes from the member's first byte to the end of the image. */
  readonly length: number;
  /** Reads up to `into.length` bytes at `pos`; returns how many (0 at the end). */
  read(pos: number, into: Uint8Array): number;
}

/** One of the kernel's decompressors. */
export interface MemberDecoder {
  /**
   * Decodes the member at the start of `input` (which runs to the end of the
   * image). A decoder may keep its copy of the image until {@linkcode release}
   * and decode a later member (a suffix of the same bytes) from it: change
   * those bytes only after release().
   */
  decode(input: Uint8Array, flush: Flush): DecodeResult;
  /** The same, reading its input from `input` as it goes (when the decoder can). */
  decodeReader?(input: ImageReader, flush: Flush): DecodeResult;
  /**
   * Called when the image is done: the decoder forgets the copy of it that
   * lets later members of the same image be decoded without copying again.
   */
  release?(): void;
}
