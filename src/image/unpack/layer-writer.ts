// Writing one tar entry at a time into a layer directory, inside the user
// namespace of the unpacker (src/image/unpack-main.ts), where this process is
// root with every capability over the ids the parent mapped.
//
// The shell equivalent of the whole module is
//   tar --xattrs --xattrs-include='*' --numeric-owner -xpf layer.tar -C TARGET
// run as root in `unshare --user` with the container's id map, plus what
// docker adds: whiteouts converted for overlayfs and symlinks never followed.
//
// `cellblock cp` writes with it too, under other rules (WritePolicy): into
// a container, where files belong to its root, and out of one, where they
// belong to you and this runs as you, with no capabilities at all.
import {
  chmodSync, closeSync, constants, fchmodSync, fchownSync, futimesSync, lchownSync, linkSync,
  lutimesSync, mkdirSync, openSync, symlinkSync, writeSync,
} from 'node:fs';
import type { Header } from 'tar-stream';
import { S_IFCHR, S_IFIFO, SyscallError, lsetxattr, mknod } from '../../syscalls/index.js';
import type { UsernsMode } from '../../userns/idmap.js';
import { EntryError, entryComponents, whiteoutOf, type Whiteout } from './entry-path.js';
import type { LayerDirectory } from './layer-dir.js';
import { metadataOf, type EntryMetadata } from './metadata.js';
import type { Notices } from './notices.js';

/** O_NOFOLLOW and O_EXCL: create a new file, never open what a symlink points to. */
const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Errors of setxattr that mean "not here", not "something broke". */
const XATTR_REFUSALS = new Set(['EPERM', 'EACCES', 'EOPNOTSUPP', 'ENOTSUP', 'EINVAL']);

/** How entries become files: as a layer, or as docker cp copies them. */
export interface WritePolicy {
  /** Owners: the tar's; one for every file (cp into a container: its root); or none — whoever writes owns them (cp out). */
  owner: 'tar' | 'writer' | { uid: number; gid: number };
  /** Layers: ".wh." entries are whiteouts. cp: they are names like any other. */
  whiteouts: boolean;
  /** cp, as docker cp: a directory is never replaced by a non-directory, nor the other way round. */
  keepTypes: boolean;
  /** The "./" entry: a layer's root takes its owner and mode; cp leaves the directory it writes into as it is. */
  rootEntry: boolean;
}

export const LAYER_POLICY: WritePolicy = { owner: 'tar', whiteouts: true, keepTypes: false, rootEntry: true };

export class LayerWriter {
  /** Directory modes and times, set last: every entry added to a directory changes its mtime. */
  private readonly directoryTimes = new Map<string, EntryMetadata>();

  constructor(
    private readonly dir: LayerDirectory,
    private readonly mode: UsernsMode,
    private readonly notices: Notices,
    private readonly policy: WritePolicy = LAYER_POLICY,
  ) {}

  /** Write the entry HEADER describes; CONTENT is its data (read to the end in every case). */
  async write(header: Header, content: AsyncIterable<unknown>): Promise<void> {
    try {
      await this.writeEntry(header, content);
      // Read what no case above read (a device entry with data, say): the
      // parser waits for every byte of this entry before the next header,
      // and a hostile tar must not be able to stall it forever.
      await drain(content);
    } catch (error) {
      throw error instanceof EntryError ? error : new EntryError(header.name, describe(error));
    }
  }

  /** Set the directories' modes and times, now that nothing more will be added to them. */
  finish(): void {
    for (const [rel, meta] of this.directoryTimes) {
      // Re-check the way there: a later entry may have replaced a parent
      // with a symlink, and utimes through it would touch a file outside.
      if (!this.isStillDirectory(rel)) continue;
      chmodSync(this.dir.path(rel), meta.mode);
      lutimesSync(this.dir.path(rel), meta.atime, meta.mtime);
    }
  }

  private isStillDirectory(rel: string): boolean {
    try {
      return this.dir.existingParentOf(rel, rel.split('/')) !== undefined && this.dir.lstat(rel)?.isDirectory() === true;
    } catch {
      return false; // a symlink on the way now: whatever was there was removed with its parent
    }
  }

  private async writeEntry(header: Header, content: AsyncIterable<unknown>): Promise<void> {
    const components = entryComponents(header.name);
    const meta = metadataOf(header);
    if (typeof this.policy.owner === 'object') Object.assign(meta, this.policy.owner);
    if (header.name.includes('\uFFFD')) this.notices.add('names that are not valid UTF-8 were written with U+FFFD in place of the bad bytes', header.name);
    if (components.length === 0) {
      if (!this.policy.rootEntry) return;
      // "./": the layer's root itself. Only a directory can be that.
      if (header.type !== 'directory') throw new EntryError(header.name, 'would replace the layer\'s root directory');
      return this.directory('', meta, header.name);
    }
    const parent = this.dir.parentOf(header.name, components);
    const base = components[components.length - 1];
    const whiteout = this.policy.whiteouts ? whiteoutOf(header.name, base) : undefined;
    if (whiteout) return this.whiteout(whiteout, parent);
    const rel = parent === '' ? base : `${parent}/${base}`;
    switch (header.type) {
      case 'file':
      case 'contiguous-file':
        return this.file(rel, meta, content, header.name);
      case 'directory':
        return this.directory(rel, meta, header.name);
      case 'symlink':
        return this.symlink(rel, header.linkname, meta, header.name);
      case 'link':
        return this.hardLink(rel, header.linkname, header.name);
      case 'fifo':
        return this.fifo(rel, meta, header.name);
      case 'character-device':
      case 'block-device':
        // mknod of a real device is refused in a user namespace (see
        // src/syscalls/files.ts); images carry them rarely (an old
        // /dev/console), and a container's /dev is mounted over anyway.
        this.notices.add('device nodes skipped: a user namespace may not create devices', rel);
        return;
      default:
        this.notices.add('entries of an unsupported type skipped', rel);
    }
  }

  /** Shell: cat > REL; chown UID:GID REL; chmod MODE REL; setfattr …; touch -d @MTIME REL */
  private async file(rel: string, meta: EntryMetadata, content: AsyncIterable<unknown>, entry: string): Promise<void> {
    this.makeRoom(rel, false, entry);
    const path = this.dir.path(rel);
    const fd = openSync(path, CREATE_NEW, 0o600);
    try {
      for await (const chunk of content) writeAll(fd, chunk as Uint8Array);
      this.chown(entry, meta, (uid, gid) => fchownSync(fd, uid, gid));
      // After chown, which clears setuid and setgid bits: chmod puts them back.
      fchmodSync(fd, meta.mode);
      // After chown too, which removes security.capability.
      this.setXattrs(path, rel, meta);
      futimesSync(fd, meta.atime, meta.mtime);
    } finally {
      closeSync(fd);
    }
  }

  /** Shell: mkdir -p REL; chown UID:GID REL; chmod MODE REL (times at the end) */
  private directory(rel: string, meta: EntryMetadata, entry: string): void {
    const path = this.dir.path(rel);
    if (rel !== '') {
      this.makeRoom(rel, true, entry);
      if (!this.dir.lstat(rel)) mkdirSync(path, { mode: 0o700 });
    }
    // chown and chmod follow symlinks, but this is a directory: lstat said
    // so, or we just made it, and nothing else writes here. Its owner may
    // write into it until finish() sets the exact mode: without root's
    // capabilities (cp out) a directory of mode 0555 could not take its files.
    this.chown(entry, meta, (uid, gid) => lchownSync(path, uid, gid));
    chmodSync(path, meta.mode | 0o700);
    this.setXattrs(path, rel || '.', meta);
    this.directoryTimes.set(rel, meta);
  }

  /** Shell: ln -s LINKNAME REL; chown -h UID:GID REL; touch -h -d @MTIME REL */
  private symlink(rel: string, linkname: string, meta: EntryMetadata, entry: string): void {
    // The link's text is stored, not followed: "/" or "../.." are fine as
    // values. Only going THROUGH a symlink is refused (layer-dir.ts).
    this.makeRoom(rel, false, entry);
    const path = this.dir.path(rel);
    symlinkSync(linkname, path);
    this.chown(entry, meta, (uid, gid) => lchownSync(path, uid, gid));
    // No chmod: a symlink's mode means nothing, and chmod would follow it.
    this.setXattrs(path, rel, meta);
    lutimesSync(path, meta.atime, meta.mtime);
  }

  /**
   * Shell: ln LINKNAME REL. The target must be an entry of this same layer,
   * reached the same way as any entry: no "..", no symlink on the way, and
   * "/etc/passwd" means the layer's etc/passwd, never the host's.
   * link(2) does not follow a symlink given as its target: linking to a
   * symlink makes a second name for the symlink itself, which is as
   * harmless as the first. The new name shares the target's inode, and so
   * its owner, mode and times: nothing more is set.
   */
  private hardLink(rel: string, linkname: string, entry: string): void {
    const what = `is a hard link to ${JSON.stringify(linkname)}`;
    let components: string[];
    try {
      components = entryComponents(linkname);
    } catch {
      throw new EntryError(entry, `${what}, which ${linkname.startsWith('/') ? 'is an absolute path' : 'escapes the layer directory'}`);
    }
    if (components.length === 0) throw new EntryError(entry, `${what}, the layer's root directory`);
    const parent = this.dir.existingParentOf(entry, components);
    const targetRel = parent === undefined ? undefined : [parent, components[components.length - 1]].filter(Boolean).join('/');
    const target = targetRel === undefined ? undefined : this.dir.lstat(targetRel);
    if (targetRel === undefined || !target) throw new EntryError(entry, `${what}, which is not in this layer`);
    if (target.isDirectory()) throw new EntryError(entry, `${what}, a directory (directories cannot be hard-linked)`);
    if (targetRel === rel) throw new EntryError(entry, `${what}: itself`);
    this.makeRoom(rel, false, entry);
    linkSync(this.dir.path(targetRel), this.dir.path(rel));
  }

  /** Shell: mkfifo REL; chown …; chmod MODE REL; touch … */
  private fifo(rel: string, meta: EntryMetadata, entry: string): void {
    this.makeRoom(rel, false, entry);
    const path = this.dir.path(rel);
    mknod(path, S_IFIFO | 0o600);
    this.chown(entry, meta, (uid, gid) => lchownSync(path, uid, gid));
    chmodSync(path, meta.mode); // a fifo we just made: nothing to follow
    this.setXattrs(path, rel, meta);
    lutimesSync(path, meta.atime, meta.mtime);
  }

  private whiteout(whiteout: Whiteout, parent: string): void {
    if (whiteout.kind === 'aufs-metadata') return;
    if (whiteout.kind === 'opaque') {
      // Rootless overlayfs is mounted with "userxattr", so it reads its
      // attributes from the user.* namespace (trusted.* needs real root).
      // Shell: setfattr -n user.overlay.opaque -v y PARENT
      lsetxattr(this.dir.path(parent), 'user.overlay.opaque', Buffer.from('y'));
      return;
    }
    // A character device with number 0/0 under the deleted name: the one
    // device a user namespace may create (Linux ≥ 5.8), exactly so that
    // rootless overlayfs can have whiteouts. Shell: mknod PARENT/NAME c 0 0
    const rel = parent === '' ? whiteout.name : `${parent}/${whiteout.name}`;
    this.dir.makeRoom(rel, false);
    mknod(this.dir.path(rel), S_IFCHR, 0);
  }

  /** LayerDirectory.makeRoom, refusing to change a directory into something else (or back) when the policy says so. */
  private makeRoom(rel: string, directory: boolean, entry: string): void {
    const existing = this.policy.keepTypes ? this.dir.lstat(rel) : undefined;
    if (existing && existing.isDirectory() !== directory) {
      throw new EntryError(entry, directory ? 'cannot overwrite a non-directory with a directory' : 'cannot overwrite a directory with a non-directory');
    }
    this.dir.makeRoom(rel, directory);
  }

  /**
   * chown, keeping the tar's ids. In this user namespace tar uid 1000 is
   * host uid (subuid start + 999): the kernel translates, we pass 1000.
   * With a single-id map only 0 exists, so every owner becomes 0 (you, on
   * the host), said once for the layer.
   */
  private chown(entry: string, meta: EntryMetadata, chown: (uid: number, gid: number) => void): void {
    if (this.policy.owner === 'writer') return;
    let { uid, gid } = meta;
    if (this.mode === 'single' && (uid !== 0 || gid !== 0)) {
      this.notices.once('has files owned by other ids; kept as root, because only one id is mapped (--userns=single, or no /etc/subuid range)');
      uid = 0;
      gid = 0;
    }
    try {
      chown(uid, gid);
    } catch (error) {
      // EINVAL: the id has no owner in this namespace's map.
      if ((error as NodeJS.ErrnoException).code !== 'EINVAL') throw error;
      throw new EntryError(entry, `is owned by ${uid}:${gid}, beyond the ids your /etc/subuid and /etc/subgid ranges map`);
    }
  }

  /** Shell: setfattr -h -n NAME -v VALUE PATH, for each SCHILY.xattr.NAME of the entry. */
  private setXattrs(path: string, rel: string, meta: EntryMetadata): void {
    for (const [name, value] of meta.xattrs) {
      if (/^(user|trusted)\.overlay\./.test(name)) {
        // overlayfs's own attributes (opaque, redirect, …) would change how
        // the layers stack: they come from whiteouts we convert, never from a tar.
        this.notices.add(`xattr ${name} ignored: overlayfs attributes come only from whiteouts`, rel);
        continue;
      }
      if (value.includes('\uFFFD')) {
        // tar-stream decodes PAX values as UTF-8; a binary value that is not
        // valid UTF-8 (a capability set with bit 7, say) lost bytes on the way.
        this.notices.add(`xattr ${name} not set: its value is binary and was not kept intact by the tar parser`, rel);
        continue;
      }
      try {
        lsetxattr(path, name, Buffer.from(value, 'utf8'));
      } catch (error) {
        // A user namespace may not set trusted.*; user.* is refused on
        // symlinks; security.capability becomes a namespaced (v3)
        // capability, valid only in namespaces owned by you.
        if (!(error instanceof SyscallError && XATTR_REFUSALS.has(error.code))) throw error;
        this.notices.add(`xattr ${name} not set (${error.code})`, rel);
      }
    }
  }
}

function writeAll(fd: number, chunk: Uint8Array): void {
  for (let offset = 0; offset < chunk.length;) offset += writeSync(fd, chunk, offset);
}

async function drain(content: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of content) {
    // Nothing to keep: the bytes only have to be read.
  }
}

/** "open: EACCES", "mknod: EPERM": the call and the errno, without our long paths. */
function describe(error: unknown): string {
  if (error instanceof SyscallError) return `${error.call}: ${error.code}`;
  const failure = error as NodeJS.ErrnoException;
  if (failure.syscall && failure.code) return `${failure.syscall}: ${failure.code}`;
  return failure.message ?? String(error);
}
