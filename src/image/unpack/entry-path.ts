// What a tar entry's name means, decided before anything touches the disk.
// Pure functions: the unit tests check them without a user namespace.
//
// A layer is data from somebody else, and a tar entry's name is just a
// string: "../../home/you/.bashrc" or "/etc/passwd" are as easy to write
// into a tar as "usr/bin/ls". No tool that builds images writes either (GNU
// tar strips a leading "/" when it creates an archive: "Removing leading `/'
// from member names"), so cellblock refuses both outright: an absolute name,
// or any ".." component — even one like "a/../b" that would stay inside —
// fails the whole layer. Refusing is simpler to trust than resolving, and a
// layer that needs either was not made by an honest tool.

/** A problem with one entry; the message names it, e.g. `entry "../x" escapes the layer directory`. */
export class EntryError extends Error {
  constructor(entry: string, problem: string) {
    // JSON quoting keeps a hostile name with a newline in it on one line.
    super(`entry ${JSON.stringify(entry)} ${problem}`);
    this.name = 'EntryError';
  }
}

/**
 * The components of NAME below the layer's root: "./usr//bin/" → ["usr", "bin"],
 * "./" → [] (the root itself); "/etc/passwd" and "a/../b" are refused.
 */
export function entryComponents(name: string): string[] {
  if (name.startsWith('/')) throw new EntryError(name, 'is an absolute path (a layer entry must be relative to the layer)');
  const parts = name.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) throw new EntryError(name, 'escapes the layer directory');
  return parts;
}

/**
 * OCI whiteouts (image-spec, layer.md). A layer records a deletion as an
 * empty file named after what it deletes:
 *   DIR/.wh.NAME      NAME, present in a lower layer, is deleted here
 *   DIR/.wh..wh..opq  DIR is "opaque": nothing of DIR in lower layers shows
 * overlayfs has its own forms for the same two ideas, which the unpacker
 * writes instead: a character device 0/0 named NAME, and the attribute
 * user.overlay.opaque=y on DIR (see src/image/unpack/layer-writer.ts).
 */
export type Whiteout =
  | { kind: 'delete'; name: string }
  | { kind: 'opaque' }
  | { kind: 'aufs-metadata' };

const PREFIX = '.wh.';
const OPAQUE = '.wh..wh..opq';

/** Whether the last component of an entry, BASENAME, is a whiteout, and which kind. */
export function whiteoutOf(entry: string, basename: string): Whiteout | undefined {
  if (!basename.startsWith(PREFIX)) return undefined;
  if (basename === OPAQUE) return { kind: 'opaque' };
  // Other ".wh..wh." names are aufs's own bookkeeping (.wh..wh.plnk, .wh..wh.aufs),
  // which docker wrote into early layers; like docker, skip them.
  if (basename.startsWith(`${PREFIX}${PREFIX}`)) return { kind: 'aufs-metadata' };
  const name = basename.slice(PREFIX.length);
  if (name === '' || name === '.' || name === '..') throw new EntryError(entry, 'is a whiteout that names nothing');
  return { kind: 'delete', name };
}
