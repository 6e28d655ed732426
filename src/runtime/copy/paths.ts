// docker cp's path rules. A copy is always a tar: one side packs the source
// (its top entry named after the source), the other extracts it, renaming
// that top entry when the destination asks for another name:
//
//   cp SRC_DIR  DEST   DEST is a directory:   SRC_DIR lands inside it, as DEST/SRC_DIR
//                      DEST does not exist:   SRC_DIR is copied AS DEST
//                      DEST is a file:        refused
//   cp SRC_DIR/. DEST  the directory's contents, into DEST (made if missing)
//   cp SRC_FILE DEST   DEST is a directory:   DEST/SRC_FILE
//                      otherwise:             the file becomes DEST (which must not end in "/")
//
// A symlink at the end of DEST is followed; one at the end of SRC is copied
// as a symlink, unless -L. The same functions run on the host (as you) and
// inside the container, chrooted in its root (src/runtime/copy/inside.ts), so
// a container's paths are resolved there, never on the host.
import { lstatSync, readlinkSync, statSync, type Stats } from 'node:fs';
import { posix } from 'node:path';

/** What a cp source is, as the side that names the copy must know it (docker's CopyInfo). */
export interface CopySource {
  isDirectory: boolean;
  /** The name its top entry has in the tar: its base name, or "." for a path ending in "/.". */
  base: string;
}

/**
 * "web:/etc/hosts" → { container: "web", path: "/etc/hosts" }. A path
 * that is absolute, starts with ".", or has no ":" is the host's (so
 * "./a:b" is a file named "a:b"), as docker reads its arguments.
 */
export function splitCopyArgument(argument: string): { container?: string; path: string } {
  const colon = argument.indexOf(':');
  if (argument.startsWith('/') || argument.startsWith('.') || colon === -1) return { path: argument };
  return { container: argument.slice(0, colon), path: argument.slice(colon + 1) };
}

/** A path ending in "/" or "/." names a directory: it must be one. */
const assertsDirectory = (path: string): boolean => path.endsWith('/') || path.endsWith('/.') || path === '.';

/** "/a/b/" → ["/a", "b"]; "/a/b/." → ["/a/b", "."] (docker's SplitPathDirEntry). */
export function splitDirEntry(path: string): [string, string] {
  const cleaned = posix.normalize(path).replace(/(.)\/+$/, '$1');
  if (posix.basename(path) === '.' || path === '.') return [cleaned, '.'];
  return [posix.dirname(cleaned), posix.basename(cleaned)];
}

/** What the source at PATH is, as the extracting side must know it; throws "PATH: …" when it cannot be copied. */
export function copySource(path: string, follow: boolean): CopySource {
  const stat = statOrExplain(path, () => (follow ? statSync(path) : lstatSync(path)));
  if (assertsDirectory(path) && !stat.isDirectory()) throw new Error(`${path}: not a directory`);
  const [, base] = splitDirEntry(path);
  // The root has no name of its own: its contents are copied, as with "/.".
  return { isDirectory: stat.isDirectory(), base: base === '' ? '.' : base };
}

export interface CopyDestination {
  /** The destination, with symlinks at its end followed: a copy onto a link writes where it points. */
  path: string;
  exists: boolean;
  isDirectory: boolean;
  /** It ended in "/": a file may not be copied to it unless it is a directory already. */
  assertsDirectory: boolean;
}

/**
 * Look at the destination PATH (docker's CopyInfoDestinationPath). It need
 * not exist, but the directory it would be made in must.
 */
export function copyDestination(path: string): CopyDestination {
  let current = path;
  for (let links = 0; ; links++) {
    const stat = lstatSync(current, { throwIfNoEntry: false });
    if (stat && !stat.isSymbolicLink()) return { path: current, exists: true, isDirectory: stat.isDirectory(), assertsDirectory: assertsDirectory(path) };
    if (!stat) break;
    if (links === 10) throw new Error(`${path}: too many levels of symbolic links`);
    const target = readlinkSync(current);
    current = target.startsWith('/') ? target : posix.join(splitDirEntry(current)[0], target);
  }
  const [parent] = splitDirEntry(current);
  const stat = statOrExplain(parent, () => statSync(parent));
  if (!stat.isDirectory()) throw new Error(`${parent}: not a directory`);
  return { path: current, exists: false, isDirectory: false, assertsDirectory: assertsDirectory(path) };
}

export interface ExtractPlan {
  /** The existing directory the tar is extracted into (extractionDirectory). */
  dir: string;
  /** How its entries are renamed first, if they are. */
  rename?: (name: string) => string;
}

/** The directory a copy to DEST is extracted into: DEST itself, or the one it would be made in. */
export function extractionDirectory(dest: CopyDestination): string {
  return dest.exists && dest.isDirectory ? dest.path : splitDirEntry(dest.path)[0];
}

/**
 * Where to extract the tar of SOURCE, and how to rename its entries, so it
 * lands at DEST as docker cp would put it (docker's PrepareArchiveCopy).
 * SOURCE undefined: a tar from stdin, extracted as it is into DEST, which
 * must be a directory.
 */
export function planExtract(source: CopySource | undefined, dest: CopyDestination): ExtractPlan {
  if (dest.exists && dest.isDirectory) return { dir: dest.path };
  if (!source) throw new Error(`${dest.path}: ${dest.exists ? 'not a directory' : 'no such directory'} (a tar from stdin is extracted into a directory)`);
  if (dest.exists && source.isDirectory) throw new Error(`${dest.path}: cannot copy a directory onto a file`);
  if (!dest.exists && dest.assertsDirectory) {
    // A directory is made for a directory; a file cannot make one.
    if (!source.isDirectory) throw new Error(`${dest.path}: no such directory`);
  }
  const [, base] = splitDirEntry(dest.path);
  return { dir: extractionDirectory(dest), rename: (name) => rebase(name, source.base, base) };
}

/**
 * NAME with its first component FROM replaced by TO: "src/a" → "dest/a".
 * FROM "." (a source given as "DIR/."): TO goes in front of every name.
 */
export function rebase(name: string, from: string, to: string): string {
  const parts = name.split('/').filter((part) => part !== '' && part !== '.');
  if (from === '.') return [to, ...parts].join('/');
  if (parts[0] !== from) return name;
  return [to, ...parts.slice(1)].join('/');
}

/** STAT(), with ENOENT and ENOTDIR said the way cp says them. */
function statOrExplain(path: string, stat: () => Stats): Stats {
  try {
    return stat();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`${path}: no such file or directory`);
    if (code === 'ENOTDIR') throw new Error(`${path}: not a directory`);
    if (code === 'ELOOP') throw new Error(`${path}: too many levels of symbolic links`);
    if (code === 'EACCES') throw new Error(`${path}: permission denied`);
    throw error;
  }
}
