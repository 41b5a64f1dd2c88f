// The branch/call/jump filters of lib/xz/xz_dec_bcj.c that an x86-64 kernel
// builds (CONFIG_XZ_DEC_X86; since 6.12 Debian also sets XZ_DEC_ARM64 and
// XZ_DEC_RISCV). Each converts the absolute addresses the encoder wrote back
// to relative ones, in place, and returns how many bytes are final (a call
// that straddles the end waits for more data). `pos` is the stream offset of
// `buf`.

/** Filter IDs in the xz block header. */
export const BCJ_X86: u32 = 4;
export const BCJ_ARM64: u32 = 10;
export const BCJ_RISCV: u32 = 11;

/** The x86 filter's memory of recent E8/E9 bytes (x86_prev_mask). */
export let x86PrevMask: u32 = 0;

// @ts-ignore: decorator
@inline function msByteOk(b: u32): bool {
  return b == 0x00 || b == 0xff;
}

// Which prevMask values allow a conversion, and the byte each one tests.
// @ts-ignore: decorator
@inline function maskAllowed(m: u32): bool {
  return ((0x17 >>> m) & 1) != 0; // masks 0, 1, 2 and 4
}
// @ts-ignore: decorator
@inline function maskBitNum(m: u32): u32 {
  return (0x33332210 >>> (m << 2)) & 0xf; // 0, 1, 2, 2, 3, 3, 3, 3
}

/** x86: E8 (call) and E9 (jmp) with a 32-bit displacement. */
export function bcjX86(buf: usize, size: u32, pos: u32): u32 {
  if (size <= 4) return 0;
  size -= 4;
  let prevPos: u32 = 0xffffffff;
  let prevMask = x86PrevMask;
  let i: u32 = 0;
  for (; i < size; ++i) {
    if ((<u32>load<u8>(buf + i) & 0xfe) != 0xe8) continue;
    prevPos = i - prevPos;
    if (prevPos > 3) {
      prevMask = 0;
    } else {
      prevMask = (prevMask << (prevPos - 1)) & 7;
      if (prevMask != 0) {
        const b = <u32>load<u8>(buf + i + 4 - maskBitNum(prevMask));
        if (!maskAllowed(prevMask) || msByteOk(b)) {
          prevPos = i;
          prevMask = (prevMask << 1) | 1;
          continue;
        }
      }
    }
    prevPos = i;
    if (msByteOk(<u32>load<u8>(buf + i + 4))) {
      let src = load<u32>(buf + i + 1);
      let dest: u32;
      while (true) {
        dest = src - (pos + i + 5);
        if (prevMask == 0) break;
        const j = maskBitNum(prevMask) * 8;
        const b = (dest >>> (24 - j)) & 0xff;
        if (!msByteOk(b)) break;
        src = dest ^ ((<u32>1 << (32 - j)) - 1);
      }
      dest &= 0x01ffffff;
      dest |= 0 - (dest & 0x01000000);
      store<u32>(buf + i + 1, dest);
      i += 4;
    } else {
      prevMask = (prevMask << 1) | 1;
    }
  }
  prevPos = i - prevPos;
  x86PrevMask = prevPos > 3 ? 0 : prevMask << (prevPos - 1);
  return i;
}

/** ARM64: BL, and ADRP with a small enough page offset. */
export function bcjArm64(buf: usize, size: u32, pos: u32): u32 {
  size &= ~(<u32>3);
  let i: u32 = 0;
  for (; i < size; i += 4) {
    let instr = load<u32>(buf + i);
    if ((instr >>> 26) == 0x25) {
      const addr = instr - ((pos + i) >>> 2);
      instr = 0x94000000 | (addr & 0x03ffffff);
      store<u32>(buf + i, instr);
    } else if ((instr & 0x9f000000) == 0x90000000) {
      let addr = ((instr >>> 29) & 3) | ((instr >>> 3) & 0x1ffffc);
      if (((addr + 0x020000) & 0x1c0000) != 0) continue;
      addr -= (pos + i) >>> 12;
      instr &= 0x9000001f;
      instr |= (addr & 3) << 29;
      instr |= (addr & 0x03fffc) << 3;
      instr |= (0 - (addr & 0x020000)) & 0xe00000;
      store<u32>(buf + i, instr);
    }
  }
  return i;
}

// @ts-ignore: decorator
@inline function be32(p: usize): u32 {
  return bswap<u32>(load<u32>(p));
}

/** RISC-V: JAL, and AUIPC paired with the instruction that follows it. */
export function bcjRiscv(buf: usize, size: u32, pos: u32): u32 {
  if (size < 8) return 0;
  size -= 8;
  let i: u32 = 0;
  for (; i <= size; i += 2) {
    let instr = <u32>load<u8>(buf + i);
    if (instr == 0xef) {
      const b1 = <u32>load<u8>(buf + i + 1);
      if ((b1 & 0x0d) != 0) continue;
      const b2 = <u32>load<u8>(buf + i + 2);
      const b3 = <u32>load<u8>(buf + i + 3);
      let addr = ((b1 & 0xf0) << 13) | (b2 << 9) | (b3 << 1);
      addr -= pos + i;
      store<u8>(buf + i + 1, <u8>((b1 & 0x0f) | ((addr >>> 8) & 0xf0)));
      store<u8>(buf + i + 2, <u8>(((addr >>> 16) & 0x0f) | ((addr >>> 7) & 0x10) | ((addr << 4) & 0xe0)));
      store<u8>(buf + i + 3, <u8>(((addr >>> 4) & 0x7f) | ((addr >>> 13) & 0x80)));
      i += 4 - 2;
    } else if ((instr & 0x7f) == 0x17) {
      instr |= <u32>load<u8>(buf + i + 1) << 8;
      instr |= <u32>load<u8>(buf + i + 2) << 16;
      instr |= <u32>load<u8>(buf + i + 3) << 24;
      let instr2: u32;
      if ((instr & 0xe80) != 0) {
        instr2 = load<u32>(buf + i + 4);
        if ((((instr << 8) ^ (instr2 - 3)) & 0xf8003) != 0) {
          i += 6 - 2;
          continue;
        }
        const addr = (instr & 0xfffff000) + (instr2 >>> 20);
        instr = 0x17 | (2 << 7) | (instr2 << 12);
        instr2 = addr;
      } else {
        const rs1 = instr >>> 27;
        if (((instr - 0x3117) << 18) >= (rs1 & 0x1d)) {
          i += 4 - 2;
          continue;
        }
        let addr = be32(buf + i + 4);
        addr -= pos + i;
        instr2 = (instr >>> 12) | (addr << 20);
        instr = 0x17 | (rs1 << 7) | ((addr + 0x800) & 0xfffff000);
      }
      store<u32>(buf + i, instr);
      store<u32>(buf + i + 4, instr2);
      i += 8 - 2;
    }
  }
  return i;
}
