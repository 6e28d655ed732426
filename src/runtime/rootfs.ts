// Where a container's root filesystem comes from: a directory (--rootfs), or
// an image whose layers are stacked with overlayfs (chapter 07). Either way
// the rest of `run` gets the same shape: what to mount, and the defaults
// (command, environment, working directory, user) the source brings.
import { realpathSync, statSync } from 'node:fs';
import type { PullPolicy } from '../image/local.js';
import type { ContainerConfig, Platform } from '../image/oci.js';
import type { PullEvent } from '../image/pull.js';
import type { IdMapPlan } from '../userns/idmap.js';

export interface RootfsSource {
  /** --rootfs: the directory to bind. */
  directory?: string;
  /** An image: its layer directories, bottom first, and its name. */
  layers?: string[];
  image?: string;
  imageManifest?: string;
  /** The image's defaults; empty for a directory. */
  config: ContainerConfig;
  /** What the user typed after the image (or, with --rootfs, after the options). */
  args: string[];
}

export interface RootfsOptions {
  rootfs?: string;
  pull: PullPolicy;
  platform?: Platform;
  tlsVerify?: boolean;
  onProgress?: (event: PullEvent) => void;
}

export async function resolveRootfs(positionals: string[], options: RootfsOptions, idMap: IdMapPlan): Promise<RootfsSource> {
  if (options.rootfs !== undefined) return { directory: checkDirectory(options.rootfs), config: {}, args: positionals };
  const [imageName, ...args] = positionals;
  if (imageName === undefined) throw new Error('run: no image given (usage: cellblock run [OPTIONS] IMAGE [COMMAND] [ARG...], or --rootfs DIR COMMAND)');
  const [{ layersFor, openStore, resolveImage }, { isUntagged }] = await Promise.all([import('../image/local.js'), import('../image/store.js')]);
  const store = openStore();
  const image = await resolveImage(store, imageName, { ...options, idMap });
  // An image with no name (commit without one) is shown as you named it: by its id.
  const shown = isUntagged(image.name) ? imageName : image.name;
  return { layers: await layersFor(store, image, idMap), image: shown, imageManifest: image.manifestDigest, config: image.config.config ?? {}, args };
}

function checkDirectory(rootfs: string): string {
  let path: string;
  try {
    path = realpathSync(rootfs);
  } catch (error) {
    throw new Error(`--rootfs ${rootfs}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : (error as Error).message}`);
  }
  if (!statSync(path).isDirectory()) throw new Error(`--rootfs ${rootfs}: not a directory`);
  return path;
}
