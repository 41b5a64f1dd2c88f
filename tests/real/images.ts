// The real images of make-images.sh and what golden/images.json says of each.

/** Image file names, in the order make-images.sh lists them. */
export const IMAGES = [
  "d-i-netboot.initrd.gz",
  "mkinitramfs-gzip.img",
  "mkinitramfs-zstd.img",
  "mkinitramfs-ucode-zstd.img",
  "dracut-ucode.img",
] as const;

/** One image's entry in golden/images.json, written by record.ts. */
export interface ImageRecord {
  /** Size in bytes. */
  size: number;
  /** SHA-256 of the image, lowercase hex. */
  sha256: string;
  /** `uname -r` of the kernel that unpacked it (the report's `#kernel`). */
  kernel: string;
  /** The kernel image booted (the report's `#kernel-image`). */
  kernelImage: string;
  /** The guest's kernel command line (the report's `#cmdline`). */
  cmdline: string;
  /** The oracle command the golden was recorded with. */
  command: string;
  /** How make-images.sh made the image, with package versions. */
  made: string;
}
