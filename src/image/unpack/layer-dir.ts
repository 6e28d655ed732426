// The directory a layer is unpacked into, and the one rule that keeps a
// hostile tar inside it: never go THROUGH a symlink.
//
// Checking names (entry-path.ts) is not enough. A tar can hold the entry
// `link -> /` (a symlink, harmless on its own) followed by `link/etc/cron.d/x`:
// open("TARGET/link/etc/cron.d/x") would follow the link and write to the
// host's /etc. Or `up -> ../..` followed by `up/home/you/.bashrc`. So before
// an entry is created, every directory above it is looked at with lstat(2),
// which does not follow symlinks, one component at a time from the layer's
// root: a real directory is fine, a missing one is created, and a symlink
// fails the whole layer. (A tar made by `tar -c` never has such paths: tar
// records what is under a symlinked directory under its real path.)
//
// Checking first and creating afterwards is safe here because nothing else
// writes into the layer while it is being unpacked: it is a fresh directory,
// and entries are written one after another by this process. A directory
// that others could change at the same time would need the kernel to do the
// check and the open in one step: openat2(2) with RESOLVE_BENEATH |
// RESOLVE_NO_SYMLINKS (Linux ≥ 5.6).
//
// The last component of an entry is never followed either: files are opened
// with O_EXCL|O_NOFOLLOW after removing whatever was there, and ownership and
// times are set with lchown/lutimes, which act on a symlink itself.
import { lstatSync, mkdirSync, rmSync, unlinkSync, type Stats } from 'node:fs';
import { EntryError } from './entry-path.js';

export class LayerDirectory {
  /**
   * Directories (relative paths) already checked to be real directories.
   * Only removing something can make one of them stop being one, so every
   * removal forgets them all; without this, a layer of 50,000 files would
   * lstat its deepest directories 50,000 times.
   */
  private readonly checked = new Set<string>(['']);

  constructor(readonly root: string) {}

  /** The host path of REL ('' is the root). */
  path(rel: string): string {
    return rel === '' ? this.root : `${this.root}/${rel}`;
  }

  /**
   * Check every directory above COMPONENTS' last one, creating missing ones
   * (mode 0755, owned by root, as docker does for directories a tar implies
   * without listing). Returns the relative path of the parent directory.
   */
  parentOf(entry: string, components: readonly string[]): string {
    return this.walk(entry, components, true)!;
  }

  /** The same check, creating nothing: undefined when a directory on the way is missing. */
  existingParentOf(entry: string, components: readonly string[]): string | undefined {
    return this.walk(entry, components, false);
  }

  private walk(entry: string, components: readonly string[], create: boolean): string | undefined {
    let rel = '';
    for (const part of components.slice(0, -1)) {
      rel = rel === '' ? part : `${rel}/${part}`;
      if (this.checked.has(rel)) continue;
      const stat = lstatSync(this.path(rel), { throwIfNoEntry: false });
      if (!stat) {
        if (!create) return undefined;
        mkdirSync(this.path(rel), { mode: 0o755 });
      } else if (stat.isSymbolicLink()) {
        throw new EntryError(entry, `goes through the symlink "${rel}" (refused: it could lead outside the layer)`);
      } else if (!stat.isDirectory()) {
        throw new EntryError(entry, `goes through "${rel}", which is not a directory`);
      }
      this.checked.add(rel);
    }
    return rel;
  }

  /** What is at REL now, not following a symlink; undefined when nothing is. */
  lstat(rel: string): Stats | undefined {
    return lstatSync(this.path(rel), { throwIfNoEntry: false });
  }

  /**
   * Make room at REL for a new entry: in a tar, a later entry replaces an
   * earlier one of the same name. A directory stays when the new entry is a
   * directory too (tar lists a directory, then its contents, and may list it
   * again). Removing never follows a symlink: unlink removes the link itself.
   */
  makeRoom(rel: string, keepDirectory: boolean): void {
    const existing = this.lstat(rel);
    if (!existing) return;
    if (existing.isDirectory()) {
      if (keepDirectory) return;
      rmSync(this.path(rel), { recursive: true });
      this.checked.clear();
      this.checked.add('');
    } else {
      unlinkSync(this.path(rel));
    }
  }
}
