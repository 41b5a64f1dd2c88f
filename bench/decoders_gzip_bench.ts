// The gzip decoder (node:zlib's inflate driven one 32 KiB output buffer at a
// time) on a real image: the Debian installer's initrd.gz when it is installed
// (debian-installer-12-netboot-amd64), else the mkinitramfs gzip image of
// tests/real/make-images.sh. Output goes to a flush that only counts bytes.
//
//   deno bench -A bench/decoders_gzip_bench.ts
//   RAMROOT_BENCH_NATIVE=1 deno bench -A bench/decoders_gzip_bench.ts   (adds gzip -dc)

import { gzip } from "../src/decoders/gzip.ts";

const NATIVE = Deno.env.get("RAMROOT_BENCH_NATIVE") === "1";
const CANDIDATES = [
  "/usr/lib/debian-installer/images/12/amd64/text/debian-installer/amd64/initrd.gz",
  new URL("../tests/real/images/mkinitramfs-gzip.img", import.meta.url).pathname,
];
const path = CANDIDATES.find((p) => {
  try {
    return Deno.statSync(p).isFile;
  } catch {
    return false;
  }
});

if (path === undefined) {
  console.error("decoders_gzip_bench: no gzip image found (see the header of this file)");
} else {
  const image = Deno.readFileSync(path);
  let out = 0;
  const r = gzip.decode(image, (c) => {
    out += c.length;
    return true;
  });
  if (!r.ok) throw new Error(`${path}: ${r.message}`);
  const group = `gzip ${(image.length / 1e6).toFixed(1)} MB -> ${(out / 1e6).toFixed(1)} MB`;
  Deno.bench({ name: "ramroot gzip decoder", group, baseline: true, n: 10, warmup: 2 }, () => {
    gzip.decode(image, () => true);
  });
  if (NATIVE) {
    Deno.bench({ name: "gzip -dc > /dev/null", group, n: 10, warmup: 2 }, async () => {
      await new Deno.Command("sh", { args: ["-c", `gzip -dc < '${path}' > /dev/null`] }).output();
    });
  }
}
