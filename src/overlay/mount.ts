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
import { MS_NODEV, chdir, mount } from '../syscalls/index.js';
import { InitError } from '../init/errors.js';
import type { InitStep } from '../init/pipeline.js';
import type { OverlaySpec } from '../runtime/spec.js';

/** The mount(2) data for SPEC, with lower layers named relative to its layers directory. */
export function overlayOptions(spec: OverlaySpec): string {
  return `lowerdir=${spec.lower.join(':')},upperdir=${spec.upper},workdir=${spec.work},userxattr`;
}

/** mount(2)'s data is one page at most: the limit on how many layers an image may have here. */
const PAGE = 4096;

export const mountOverlay: InitStep = {
  name: 'mount-overlay',
  chapter: 7,
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
    try {
      mount('overlay', root, 'overlay', MS_NODEV, options);
    } catch (error) {
      throw new InitError(`${(error as Error).message}: the kernel refused a rootless overlay mount (it needs Linux ≥ 5.11 for "userxattr")`);
    }
  },
};
