// Garbage collection of the store: after an image's last name is removed,
// its blobs and unpacked layers go too — unless another image or an existing
// container still uses them. Content addressing makes "still used" a set of
// digests reachable from what is named.
import { existsSync, rmSync } from 'node:fs';
import { readdirOrEmpty } from '../runtime/files.js';
import { join } from 'node:path';
import { withLock } from '../runtime/lock.js';
import { listRecords } from '../runtime/records.js';
import { planIdMap, type IdMapPlan } from '../userns/idmap.js';
import type { ImageConfig, ImageManifest } from './oci.js';
import { STORE_LOCK, type Store } from './store.js';
import { removeTree } from './unpack.js';

export interface Collected { blobs: number; layers: number }

export function collectGarbage(store: Store): Promise<Collected> {
  return withLock(store.locks, STORE_LOCK, () => collect(store));
}

async function collect(store: Store): Promise<Collected> {
  const manifests = new Set([...store.refs().map((ref) => ref.digest), ...listRecords().flatMap((r) => (r.imageManifest ? [r.imageManifest] : []))]);
  const keepBlobs = new Set<string>();
  const keepLayers = new Set<string>();
  for (const digest of manifests) {
    try {
      const manifest = store.readJson<ImageManifest>(digest);
      keepBlobs.add(digest).add(manifest.config.digest);
      manifest.layers.forEach((layer) => keepBlobs.add(layer.digest));
      store.readJson<ImageConfig>(manifest.config.digest).rootfs.diff_ids.forEach((id) => keepLayers.add(id.slice(7)));
    } catch {
      // Already gone: nothing of it to keep.
    }
  }
  const collected: Collected = { blobs: 0, layers: 0 };
  const blobDir = join(store.root, 'blobs', 'sha256');
  for (const hex of readdirOrEmpty(blobDir)) {
    if (keepBlobs.has(`sha256:${hex}`)) continue;
    rmSync(join(blobDir, hex), { force: true }); // blobs are plain files of ours
    collected.blobs++;
  }
  for (const mode of ['single', 'subids'] as const) {
    let idMap: IdMapPlan | undefined;
    for (const hex of readdirOrEmpty(join(store.root, 'layers', mode))) {
      if (keepLayers.has(hex)) continue;
      // Layers unpacked with subordinate ids hold files only that map can delete.
      idMap ??= planIdMap(mode);
      await removeTree(join(store.root, 'layers', mode, hex), idMap);
      collected.layers++;
    }
    // A layer's sum goes with it (and one whose layer never arrived, too).
    for (const hex of readdirOrEmpty(join(store.root, 'layer-sums', mode))) {
      if (!keepLayers.has(hex) || !existsSync(join(store.root, 'layers', mode, hex))) rmSync(join(store.root, 'layer-sums', mode, hex), { force: true });
    }
  }
  return collected;
}
