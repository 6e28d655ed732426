// What a tar header says about an entry besides its name and type: owner,
// mode, times and extended attributes. Pure: no file is touched here.
//
// A ustar header has fixed-size octal fields (uid up to 2,097,151, whole
// seconds); a PAX extended header ("x" entry, key=value records) may
// override them with larger ids, fractional times and extended attributes,
// which GNU tar and docker write as SCHILY.xattr.NAME=VALUE.
// tar-stream applies PAX path, linkpath and size itself and leaves the rest
// to us in header.pax.
import type { Header } from 'tar-stream';
import { EntryError } from './entry-path.js';

export interface EntryMetadata {
  uid: number;
  gid: number;
  /** Permission bits including setuid (04000), setgid (02000) and sticky (01000). */
  mode: number;
  /** Seconds since the epoch, fractions allowed. */
  mtime: number;
  atime: number;
  /** [name, value] of each extended attribute; values as tar-stream decoded them (UTF-8). */
  xattrs: [string, string][];
}

const XATTR = 'SCHILY.xattr.';
const MAX_ID = 0xfffffffe; // (uid_t)-1 means "no change" to chown(2): never an owner

export function metadataOf(header: Header): EntryMetadata {
  const pax = (header.pax ?? {}) as Record<string, string>;
  const uid = pax.uid !== undefined ? Number(pax.uid) : header.uid;
  const gid = pax.gid !== undefined ? Number(pax.gid) : header.gid;
  for (const [what, id] of [['uid', uid], ['gid', gid]] as const) {
    if (!Number.isSafeInteger(id) || id < 0 || id > MAX_ID) throw new EntryError(header.name, `has an invalid ${what} (${id})`);
  }
  const mtime = seconds(pax.mtime) ?? header.mtime.getTime() / 1000;
  return {
    uid,
    gid,
    mode: header.mode & 0o7777,
    mtime,
    // A tar made without --atime-preserve has no atime: docker uses the mtime too.
    atime: seconds(pax.atime) ?? mtime,
    xattrs: Object.entries(pax)
      .filter(([key]) => key.startsWith(XATTR) && key.length > XATTR.length)
      .map(([key, value]) => [key.slice(XATTR.length), value]),
  };
}

/** A PAX time ("1700000000.123456789"), or undefined when absent or malformed. */
function seconds(text: string | undefined): number | undefined {
  if (text === undefined || !/^-?\d+(\.\d+)?$/.test(text)) return undefined;
  return Number(text);
}
