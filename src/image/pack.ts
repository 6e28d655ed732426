// The packer: a directory tree → a tar stream, one entry at a time, in name
// order (so the same tree always gives the same bytes, and the same digest).
// Shell: tar -c --xattrs --numeric-owner --sort=name -C DIR .
//
// Three users, one walk:
//   import   a directory of yours → a layer; owners as a container will see them
//   commit   a container's overlay upper directory → a layer. overlayfs
//            writes deletions its own way; a layer must say them OCI's way,
//            the reverse of what the unpacker does (src/image/unpack/layer-writer.ts):
//              character device 0/0 NAME          →  empty file .wh.NAME
//              directory with user.overlay.opaque=y →  the directory, then DIR/.wh..wh..opq
//   cp       a path in a container, or on the host → the tar the other side extracts
//
// Inside a user namespace, stat(2) already shows a file's owner as the
// namespace sees it (host uid 100999 reads as 1000): that is what a tar
// header must carry, so the walks of commit and cp run there (src/image/unpack-main.ts).
//
// File contents stream from disk through the tar: nothing holds a whole file.
import { createReadStream, lstatSync, readdirSync, readlinkSync, statSync, type Stats } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pack as tarPack, type Header, type Pack } from 'tar-stream';
import { SyscallError, lgetxattr, llistxattr } from '../syscalls/index.js';
import type { Notices } from './unpack/notices.js';

export interface PackOptions {
  /** The ids a header carries for a file owned by UID:GID; by default the ids stat shows. */
  owner?: (uid: number, gid: number) => { uid: number; gid: number };
  /** commit: turn overlayfs's whiteouts and opaque directories into OCI whiteout entries. */
  overlay?: boolean;
  /** Where to say what could not be packed (sockets, binary xattrs). */
  notices?: Notices;
}

type EntryHeader = Partial<Header> & { name: string };

const OPAQUE_XATTRS = ['user.overlay.opaque', 'trusted.overlay.opaque'];
const CHUNK = 64 * 1024;
/** The content of an empty file entry: given as a buffer, the entry is complete at once. */
const EMPTY = Buffer.alloc(0);

export class TreePacker {
  /** "dev:ino" → the entry name a file with several links was first packed under. */
  private readonly firstNames = new Map<string, string>();

  constructor(private readonly pack: Pack, private readonly options: PackOptions = {}) {}

  /**
   * Pack PATH as the entry NAME, and if it is a directory everything under
   * it as NAME/…. A symlink is packed as a symlink, unless FOLLOW (cp -L):
   * then what it points to is packed under NAME.
   */
  async add(path: string, name: string, follow = false): Promise<void> {
    await this.entry(path, name, follow ? statSync(path) : lstatSync(path));
  }

  /** Everything under DIR, named PREFIX/… (just … when PREFIX is ''), with no entry for DIR itself: a layer. */
  async addContents(dir: string, prefix = ''): Promise<void> {
    for (const child of readdirSync(dir).sort()) {
      const path = dir === '/' ? `/${child}` : `${dir}/${child}`;
      await this.entry(path, prefix === '' ? child : `${prefix}/${child}`, lstatSync(path));
    }
  }

  private async entry(path: string, name: string, stat: Stats): Promise<void> {
    const { uid, gid } = this.options.owner?.(stat.uid, stat.gid) ?? { uid: stat.uid, gid: stat.gid };
    // The whole st_mode: the tar keeps its permission bits (setuid, setgid and
    // sticky included), and tar-stream would turn a plain 0 into 0644.
    const header: EntryHeader = { name, uid, gid, mode: stat.mode, mtime: stat.mtime };
    if (stat.isDirectory()) {
      this.pack.entry({ ...header, type: 'directory', ...this.xattrs(path, name) });
      if (this.options.overlay && this.isOpaque(path)) {
        // docker's form: an empty file that inherits the directory's owner and permissions.
        this.pack.entry({ ...header, name: `${name}/.wh..wh..opq`, type: 'file', mode: stat.mode & 0o777 }, EMPTY);
      }
      return this.addContents(path, name);
    }
    if (stat.isSymbolicLink()) {
      this.pack.entry({ ...header, type: 'symlink', linkname: readlinkSync(path) });
      return;
    }
    if (stat.isFile()) return this.file(path, header, stat);
    if (stat.isCharacterDevice() && stat.rdev === 0 && this.options.overlay) {
      // overlayfs's whiteout. Many of them may be one inode (the kernel
      // links new whiteouts to a shared one): they are never hard links here.
      const slash = name.lastIndexOf('/');
      this.pack.entry({ ...header, name: `${name.slice(0, slash + 1)}.wh.${name.slice(slash + 1)}`, type: 'file', mode: 0o600 }, EMPTY);
      return;
    }
    if (stat.isCharacterDevice() || stat.isBlockDevice()) {
      this.pack.entry({ ...header, type: stat.isCharacterDevice() ? 'character-device' : 'block-device', devmajor: major(stat.rdev), devminor: minor(stat.rdev) });
      return;
    }
    if (stat.isFIFO()) {
      this.pack.entry({ ...header, type: 'fifo' });
      return;
    }
    this.options.notices?.add('sockets skipped: a tar cannot hold them', name);
  }

  private async file(path: string, header: EntryHeader, stat: Stats): Promise<void> {
    // A second name for an inode already packed: a hard link to the first
    // name, as tar does, so the other side links them again.
    const inode = `${stat.dev}:${stat.ino}`;
    const first = stat.nlink > 1 ? this.firstNames.get(inode) : undefined;
    if (first !== undefined) {
      this.pack.entry({ ...header, type: 'link', linkname: first });
      return;
    }
    if (stat.nlink > 1) this.firstNames.set(inode, header.name);
    const entry = this.pack.entry({ ...header, type: 'file', size: stat.size, ...this.xattrs(path, header.name) });
    await pipeline(this.content(path, stat.size, header.name), entry);
  }

  /**
   * Exactly SIZE bytes of PATH: the size was written in the header before
   * the first byte. A file another process changes meanwhile (commit of a
   * running container) is cut at SIZE, or padded with zeros when it shrank.
   */
  private async *content(path: string, size: number, name: string): AsyncGenerator<Buffer> {
    let sent = 0;
    if (size > 0) {
      for await (const chunk of createReadStream(path, { end: size - 1, highWaterMark: CHUNK })) {
        sent += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
    }
    if (sent < size) this.options.notices?.add('files that shrank while they were read, padded with zeros', name);
    for (; sent < size; sent += CHUNK) yield Buffer.alloc(Math.min(CHUNK, size - sent));
  }

  private isOpaque(path: string): boolean {
    return OPAQUE_XATTRS.some((name) => {
      try {
        return lgetxattr(path, name)?.toString() === 'y';
      } catch {
        return false; // trusted.* is not readable without real root: then it is not there for us either
      }
    });
  }

  /**
   * The extended attributes worth carrying, as PAX records (SCHILY.xattr.NAME,
   * as GNU tar and docker write them): user.* — except overlayfs's own
   * bookkeeping, which means nothing in another layer — and security.capability.
   */
  private xattrs(path: string, name: string): { pax?: Record<string, string> } {
    let names: string[];
    try {
      names = llistxattr(path);
    } catch (error) {
      if (error instanceof SyscallError && (error.code === 'ENOTSUP' || error.code === 'EOPNOTSUPP')) return {};
      throw error;
    }
    const pax: Record<string, string> = {};
    for (const xattr of names) {
      if (!(xattr.startsWith('user.') || xattr === 'security.capability') || /^user\.overlay\./.test(xattr)) continue;
      const value = lgetxattr(path, xattr);
      if (value === undefined) continue;
      const text = value.toString('utf8');
      if (!Buffer.from(text, 'utf8').equals(value)) {
        // tar-stream writes PAX values as UTF-8 text (and its reader decodes
        // them so): a binary value, like a capability set, would arrive changed.
        this.options.notices?.add(`xattr ${xattr} not kept: its value is binary, which this tar writer cannot carry intact`, name);
        continue;
      }
      pax[`SCHILY.xattr.${xattr}`] = text;
    }
    return Object.keys(pax).length > 0 ? { pax } : {};
  }
}

/**
 * Run FILL with a packer whose tar streams into OUTPUT (a pipe to the
 * parent); resolves when the tar's last byte is written, or rejects with
 * what went wrong first.
 */
export async function packInto(output: Writable, options: PackOptions, fill: (packer: TreePacker) => Promise<void>): Promise<void> {
  const pack = tarPack();
  // (A tar-stream Pack is a streamx Readable, which pipeline() drives like a Node one; its types do not say so.)
  const writing = pipeline(pack as unknown as Readable, output);
  writing.catch(() => {}); // awaited below; until then, a failure must not count as unhandled
  try {
    await fill(new TreePacker(pack, options));
    pack.finalize();
  } catch (error) {
    pack.destroy(error as Error);
  }
  await writing;
}

/** The major and minor numbers of a dev_t, as glibc's major(3) and minor(3) split it. */
const major = (dev: number): number => Number((BigInt(dev) >> 8n) & 0xfffn) | Number((BigInt(dev) >> 32n) & ~0xfffn);
const minor = (dev: number): number => Number(BigInt(dev) & 0xffn) | Number((BigInt(dev) >> 12n) & ~0xffn);
