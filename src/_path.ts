// file: URLs to paths, without a dependency on a path library.

/** The path of a `file:` URL. */
export function fromFileUrl(url: URL): string {
  if (url.protocol !== "file:") throw new TypeError(`Not a file URL: ${url.href}`);
  return decodeURIComponent(url.pathname);
}
