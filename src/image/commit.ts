// `cellblock commit`: a container's changes as a new image (docker commit).
//
// Every write a container makes lands in its overlay upper directory
// (chapter 7): new files, copies of the files it changed, a 0/0 character
// device for each file it deleted, user.overlay.opaque=y on each directory
// it deleted and made again. That directory is the difference between the
// container and its image — which is what a layer is. So commit packs it
// as a layer (whiteouts back in OCI form, src/image/pack.ts), stores and
// unpacks it as pull would, and writes an image whose config is the old one
// plus that layer's diff_id.
//
// docker pauses a running container (cgroup freezer) while it reads the
// upper directory. cellblock cannot count on a freezer (cgroup v1 hosts
// delegate none) and does not stop the processes with SIGSTOP, which they
// and their parents would see. It reads the directory as the walk finds it:
// a file written at that moment may be caught half-written — its size is
// fixed when its header is written, so the tar stays well-formed.
import { mkdirSync } from 'node:fs';
import { withLock } from '../runtime/lock.js';
import type { ContainerRecord } from '../runtime/records.js';
import { planIdMap } from '../userns/idmap.js';
import { storeImage, storeLayerBlob, type StoredLayer } from './build.js';
import { loadImage } from './local.js';
import { MEDIA_TYPES, type ContainerConfig, type ImageConfig } from './oci.js';
import { ensureLayer } from './pull.js';
import { formatReference, parseReference } from './reference.js';
import { applyChange } from './run-config.js';
import { STORE_LOCK, untaggedRef, type Store } from './store.js';
import { inNewUserNamespace, runUnpacker } from './unpack.js';

export interface CommitOptions {
  /** REPO[:TAG]; none: the image is known by its id only. */
  name?: string;
  /** -m: the history entry's comment. */
  message?: string;
  /** -a: the image's author. */
  author?: string;
  /** -c: Dockerfile instructions that change the config (CMD, ENV…), as import --change. */
  changes: string[];
}

/** Make RECORD's changes a new image; returns its id (sha256:… of its config). */
export async function commitContainer(store: Store, record: ContainerRecord, options: CommitOptions): Promise<string> {
  // Everything the user typed is checked before anything is written.
  if (!record.imageManifest || !record.spec.overlay) {
    throw new Error(`commit: container ${record.name} was made from a directory (--rootfs), not an image: it has no image to add a layer to`);
  }
  const reference = options.name !== undefined ? formatReference(parseReference(options.name)) : undefined;
  const upper = record.spec.overlay.upper;
  // A run killed between writing its record and making its storage leaves a
  // container with no upper directory: it has no changes, which is a layer too.
  mkdirSync(upper, { recursive: true, mode: 0o755 });
  const idMap = planIdMap(record.userns);
  // Shared, as a pull holds it: garbage collection waits until the new image has its name.
  return withLock(store.locks, STORE_LOCK, async () => {
    const base = loadImage(store, record.image ?? record.imageManifest!, record.imageManifest!);
    const config = options.changes.reduce<ContainerConfig>(applyChange, base.config.config ?? {});
    // Keep the family of media types the image has.
    const docker = base.manifest.mediaType === MEDIA_TYPES.dockerManifest;

    const label = `commit ${record.name}`;
    let stored: StoredLayer | undefined;
    const report = await runUnpacker({ kind: 'pack', root: upper, label }, inNewUserNamespace(idMap), label, {
      output: async (tar) => {
        stored = await storeLayerBlob(store, tar, docker ? MEDIA_TYPES.dockerLayerGzip : MEDIA_TYPES.ociLayerGzip);
      },
    });
    if (report.type === 'packed') for (const notice of report.notices) process.stderr.write(`cellblock: ${notice}\n`);
    const { diffId, layer } = stored!;
    // Unpacked from the stored blob, exactly as a pulled layer is: the
    // unpacker turns the .wh. entries back into overlayfs's whiteouts.
    await ensureLayer(store, layer, diffId, idMap, () => {}, () => {
      throw new Error(`${label}: the layer blob ${layer.digest} vanished from the store`);
    });

    const now = new Date().toISOString();
    const image: ImageConfig = {
      ...base.config,
      created: now,
      ...(options.author !== undefined ? { author: options.author } : {}),
      config,
      rootfs: { type: 'layers', diff_ids: [...base.config.rootfs.diff_ids, diffId] },
      history: [...(base.config.history ?? []), {
        created: now,
        created_by: `cellblock commit ${record.name}`,
        ...(options.author !== undefined ? { author: options.author } : {}),
        ...(options.message !== undefined ? { comment: options.message } : {}),
      }],
    };
    const { manifestDigest, imageId } = storeImage(store, image, [...base.manifest.layers, layer], docker);
    store.setRef(reference ?? untaggedRef(manifestDigest), manifestDigest);
    return imageId;
  }, true);
}
