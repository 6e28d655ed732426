// Chapter 7 — overlayfs: an image's read-only layers, and one writable layer
// of the container's own on top, seen as one directory.
//
//   lowerdir   the image's layers, topmost first; never written
//   upperdir   the container's changes: new files, and copies of files it
//              modified ("copy-up"), whiteouts for files it deleted
//   workdir    overlayfs's scratch space, on the same filesystem as upperdir
//
// Rootless overlay needs the "userxattr" option (Linux ≥ 5.11). Overlay keeps
// its bookkeeping — which directories are opaque, where a renamed directory
// came from — in extended attributes: trusted.overlay.* by default, which
// only root on the host may write or even read. With "userxattr" it uses
// user.overlay.* instead, which the unpacker can write. Without it the kernel
// may still mount, but it cannot see the opaque directories of our layers
// (deleted directories come back) and refuses some changes with EIO.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { MS_BIND, MS_NODEV, MS_REC, chdir, mount } from '../syscalls/index.js';
import { InitError } from '../init/errors.js';
import type { InitStep } from '../init/pipeline.js';
import type { OverlaySpec } from '../runtime/spec.js';

/** The mount(2) data for SPEC, with lower layers named relative to its layers directory. */
export function overlayOptions(spec: OverlaySpec): string {
  // #region exercise: overlayfs's mount options: the layers (topmost first), the upper and work directories, and what a rootless mount needs
  return `lowerdir=${spec.lower.join(':')},upperdir=${spec.upper},workdir=${spec.work},userxattr`;
  // #endregion (stand-in: return '';)
}

/** mount(2)'s data is one page at most: the limit on how many layers an image may have here. */
const PAGE = 4096;

export const mountOverlay: InitStep = {
  name: 'mount-overlay',
  chapter: 7,
  summary: "for an image: its layers, read-only, under a writable layer of the container's own, seen as one directory",
  applies: (spec) => spec.overlay !== undefined,
  run({ spec, root }) {
    const overlay = spec.overlay!;
    const options = overlayOptions(overlay);
    const bytes = Buffer.byteLength(options); // the kernel counts bytes, not characters
    if (bytes >= PAGE) {
      throw new InitError(`the image has ${overlay.lower.length} layers: too many for one overlay mount (${bytes} bytes of options, the kernel takes ${PAGE - 1})`);
    }
    // The kernel resolves relative lowerdir paths from our working directory:
    // 64-character layer ids instead of full paths keep the options short.
    // Shell: cd LAYERS && mount -t overlay -o lowerdir=L2:L1,upperdir=U,workdir=W,userxattr overlay ROOT
    chdir(overlay.layersDir);
    if (overlay.fuse) return mountWithFuse(overlay, root, 'CELLBLOCK_OVERLAY=fuse-overlayfs asked for it');
    try {
      mount('overlay', root, 'overlay', MS_NODEV, options);
    } catch (error) {
      mountWithFuse(overlay, root, `${(error as Error).message}: the kernel refused a rootless overlay mount (it needs Linux ≥ 5.11 for "userxattr")`);
    }
  },
};

/**
 * The same layers through fuse-overlayfs, a user-space overlayfs (what
 * podman uses where the kernel's is not allowed rootless). It reads the same
 * whiteouts and user.overlay.opaque attributes. It runs as a daemon in the
 * container's pid namespace, so `ps` inside shows it; it ends with pid 1.
 *
 * One trap: pivot_root moves the root of EVERY process in the mount
 * namespace whose root is the old one — the daemon's too — and then every
 * path it opens would go through the very mount it serves: a deadlock. So
 * the daemon gets a root of its own first, a bind of "/", which pivot_root
 * leaves alone; detaching the old root later keeps that tree alive for it.
 * Shell: mount --rbind / S && chroot S fuse-overlayfs -o lowerdir=…,upperdir=U,workdir=W ROOT && mount --bind S/ROOT ROOT
 */
function mountWithFuse(overlay: OverlaySpec, root: string, why: string): void {
  const scratch = join(overlay.work, '..', 'fuse-root');
  mkdirSync(scratch, { recursive: true });
  mount('/', scratch, null, MS_BIND | MS_REC);
  const options = `lowerdir=${overlay.lower.map((layer) => join(overlay.layersDir, layer)).join(':')},upperdir=${overlay.upper},workdir=${overlay.work}`;
  const result = spawnSync('chroot', [scratch, 'fuse-overlayfs', '-o', options, root], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (result.status === 127 || (result.error && (result.error as NodeJS.ErrnoException).code === 'ENOENT')) {
    throw new InitError(`${why}, and fuse-overlayfs is not installed to do it instead (apt-get install fuse-overlayfs)`);
  }
  if (result.status !== 0) {
    const said = (result.stderr || String(result.error ?? `exit status ${result.status}`)).trim().split('\n').pop();
    throw new InitError(`${why}; fuse-overlayfs failed too: ${said}${existsSync('/dev/fuse') ? '' : ' (no /dev/fuse)'}`);
  }
  // From inside its chroot the daemon mounted on SCRATCH/ROOT; bring that mount to ROOT.
  mount(join(scratch, root), root, null, MS_BIND);
}
