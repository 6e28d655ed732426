// Where a container's root filesystem comes from. One function, so that the
// next source (an image's layers, assembled with overlayfs) slots in here.
import { realpathSync, statSync } from 'node:fs';

export interface RootfsSource {
  /** Absolute, symlink-free host path of the directory that becomes "/". */
  path: string;
}

export function resolveRootfs(options: { rootfs?: string }): RootfsSource {
  if (options.rootfs === undefined) {
    throw new Error('run: no root filesystem given: pass --rootfs DIR (a directory holding the container\'s files)');
  }
  let path: string;
  try {
    path = realpathSync(options.rootfs);
  } catch (error) {
    throw new Error(`--rootfs ${options.rootfs}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : (error as Error).message}`);
  }
  if (!statSync(path).isDirectory()) throw new Error(`--rootfs ${options.rootfs}: not a directory`);
  return { path };
}
