// Chapter 9 — storage that is not the container's writable layer: named
// volumes, host files and directories (-v, --mount), and tmpfs (--tmpfs).
//
// Each is one more mount on top of the root filesystem, made here, after
// the root is assembled and before pivot_root: a bind needs its source, and
// the source is a host path, reachable only until the old root is gone.
// They stay writable with --read-only, which makes "/" alone read-only.
import { closeSync, fstatSync, openSync, readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { MountSpec, TmpfsFlag } from '../runtime/spec.js';
import { MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, MS_REC, SyscallError, makeReadOnly, mount, waitLockSync } from '../syscalls/index.js';
import { copyTree } from './copy-up.js';
import { InitError } from './errors.js';
import { openBeneath } from './paths.js';
import type { InitStep } from './pipeline.js';

export const copyUpVolumes: InitStep = {
  name: 'copy-up-volumes',
  chapter: 9,
  summary: 'for a new named volume: it gets what the image has at its path',
  applies: (spec) => spec.mounts?.some((m) => m.type === 'volume' && m.copyUp) ?? false,
  // Before /proc, /dev and the volumes are mounted: what is copied is the image's, nothing else.
  run({ spec, root }) {
    for (const volume of spec.mounts!) {
      if (volume.type !== 'volume' || !volume.copyUp) continue;
      // Two containers starting at once with one new volume: a lock on the
      // volume's directory lets one copy, and the other find it full.
      const lock = openSync(dirname(volume.source), 'r');
      try {
        waitLockSync(lock, dirname(volume.source));
        // Only an empty volume: once it holds anything, its data is its own.
        if (readdirSync(volume.source).length > 0) continue;
        const found = openBeneath(root, volume.target);
        if (!found) continue; // the image has nothing there
        try {
          // A file there is the mount step's to report.
          if (fstatSync(found.fd).isDirectory()) copyTree(`${root}${found.path}`, volume.source);
        } finally {
          closeSync(found.fd);
        }
      } catch (error) {
        throw new InitError(`volume ${volume.name}: copying the image's ${volume.target} into it failed: ${(error as Error).message}`);
      } finally {
        closeSync(lock);
      }
    }
  },
};

export const mountVolumes: InitStep = {
  name: 'mount-volumes',
  chapter: 9,
  summary: 'with -v, --mount or --tmpfs: each one mounted on its path',
  applies: (spec) => (spec.mounts?.length ?? 0) > 0,
  run({ spec, root }) {
    // Parents come before children (the parent sorted them), so /data/logs
    // lands on the volume at /data, not under it.
    for (const entry of spec.mounts!) mountOne(root, entry);
  },
};

const TMPFS_FLAGS: Record<TmpfsFlag, number> = { noexec: MS_NOEXEC, nosuid: MS_NOSUID, nodev: MS_NODEV };

/** Mount ENTRY in the container whose root is ROOT (also used for the generated /etc files: network.ts). */
export function mountOne(root: string, entry: MountSpec): void {
  const kind = entry.type === 'bind' && entry.file ? 'file' : 'dir';
  const place = openBeneath(root, entry.target, kind)!;
  try {
    // A link in the image to "/" or "../..": still inside, but a mount there
    // would cover the whole root filesystem, /proc and /dev included.
    if (place.path === '/') throw new InitError(`${entry.target}: leads to / in the container (through a symlink): it cannot be a mount point`);
    if (fstatSync(place.fd).isDirectory() !== (kind === 'dir')) {
      throw new InitError(`${entry.target}: cannot mount a ${kind === 'dir' ? 'directory' : 'file'} on a ${kind === 'dir' ? 'file' : 'directory'} of the image`);
    }
    // The place openBeneath found and holds: no path is looked up again.
    const at = `/proc/self/fd/${place.fd}`;
    if (entry.type === 'tmpfs') {
      // Shell: mount -t tmpfs -o nosuid,nodev,noexec,size=64m,mode=1777 tmpfs ROOT/TARGET
      const flags = entry.options.reduce((all, option) => all | TMPFS_FLAGS[option], entry.readOnly ? MS_RDONLY : 0);
      named(entry.target, () => mount('tmpfs', at, 'tmpfs', flags, entry.data || null));
      return;
    }
    // A volume is a host directory too, under the data dir.
    // Shell: mount --rbind SOURCE ROOT/TARGET
    named(entry.target, () => mount(entry.source, at, null, MS_BIND | MS_REC));
    if (entry.readOnly) {
      // A bind ignores MS_RDONLY: read-only is a second step, on the new
      // mount. The fd we hold is the directory under it; opening the path
      // again crosses into the mount.
      // Shell: mount -o remount,bind,ro ROOT/TARGET (for every mount below it too)
      const top = openBeneath(root, entry.target)!;
      try {
        named(entry.target, () => makeReadOnly(`/proc/self/fd/${top.fd}`, true));
      } finally {
        closeSync(top.fd);
      }
    }
  } finally {
    closeSync(place.fd);
  }
}

/** Errors name the container's path (`mount(/data): EPERM`), not /proc/self/fd/N. */
function named(target: string, call: () => void): void {
  try {
    call();
  } catch (error) {
    if (error instanceof SyscallError) throw new SyscallError(error.call, target, error.errno);
    throw error;
  }
}
