// `cellblock import DIR NAME`: a one-layer image made from a directory, the
// way every image begins (chapter 08). The layer is the directory as a tar;
// its blob is that tar gzipped. Both digests come out of one pass over the
// files: the diff_id (sha256 of the tar) and the blob's digest (sha256 of
// the gzipped tar). Shell: tar -C DIR -c . | tee >(sha256sum) | gzip | sha256sum
import { statSync } from 'node:fs';
import tar from 'tar-stream';
import { insideId, type IdMapPlan } from '../userns/idmap.js';
import { storeImage, storeLayerBlob, type StoredLayer } from './build.js';
import type { ContainerConfig, ImageConfig } from './oci.js';
import { TreePacker } from './pack.js';
import { hostPlatform } from './platform.js';
import { ensureLayer } from './pull.js';
import { formatReference, parseReference } from './reference.js';
import type { Store } from './store.js';

/** Make DIR an image named NAME with CONFIG (Cmd, Env…); returns its full name. */
export async function importDirectory(store: Store, dir: string, name: string, config: ContainerConfig, idMap: IdMapPlan): Promise<string> {
  const reference = formatReference(parseReference(name));
  if (!statSync(dir).isDirectory()) throw new Error(`import: ${dir} is not a directory`);
  const { diffId, layer } = await writeLayerBlob(store, dir, idMap);
  // The layer is unpacked from the stored blob, exactly as a pulled one would be.
  await ensureLayer(store, layer, diffId, idMap, () => {}, () => {
    throw new Error(`import: the layer blob ${layer.digest} vanished from the store`);
  });
  const now = new Date().toISOString();
  const { os, architecture, variant } = hostPlatform();
  const image: ImageConfig = {
    architecture, os, ...(variant ? { variant } : {}), created: now, config,
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created: now, created_by: `cellblock import ${dir}` }],
  };
  store.setRef(reference, storeImage(store, image, [layer]).manifestDigest);
  return reference;
}

/**
 * DIR as a gzipped tar in the store's blobs/ (src/image/pack.ts walks it).
 * Owners are written as the container sees them: your files are root's,
 * subordinate ids become the ids they stand for, and any other id becomes
 * root too (it has no name inside).
 */
async function writeLayerBlob(store: Store, dir: string, idMap: IdMapPlan): Promise<StoredLayer> {
  const pack = tar.pack();
  const owner = (uid: number, gid: number) => ({ uid: insideId(idMap.uidMap, uid) ?? 0, gid: insideId(idMap.gidMap, gid) ?? 0 });
  const packing = new TreePacker(pack, { owner }).addContents(dir).then(() => pack.finalize(), (error: Error) => pack.destroy(error));
  const [stored] = await Promise.all([storeLayerBlob(store, pack), packing]);
  return stored;
}
