#!/usr/bin/env python3
"""Write the two 4096-byte non-cpio initrd segments used by record.sh.

  make-notcpio.py ext2 OUT    1024 zero bytes, then an ext2-like superblock
                              (counts, s_magic 0xEF53 at offset 1080), zeros
  make-notcpio.py random OUT  4096 pseudo-random bytes (fixed seed); the first
                              byte is neither 0, '0' nor a compression magic
"""
import random
import struct
import sys

kind, out = sys.argv[1], sys.argv[2]
if kind == "ext2":
    img = bytearray(4096)
    # s_inodes_count, s_blocks_count, s_r_blocks_count, s_free_blocks_count,
    # s_free_inodes_count, s_first_data_block, s_log_block_size
    struct.pack_into("<7I", img, 1024, 16, 4, 0, 1, 5, 1, 0)
    struct.pack_into("<H", img, 1024 + 56, 0xEF53)
else:
    rng = random.Random(20240601)
    img = bytearray(rng.getrandbits(8) for _ in range(4096))
    img[0] = 0x5A  # 'Z': not NUL, not '0', no decompressor starts with it
open(out, "wb").write(bytes(img))
