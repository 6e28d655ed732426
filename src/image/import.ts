// `cellblock import DIR NAME`: a one-layer image made from a directory, the
// way every image begins (chapter 08). The layer is the directory as a tar;
// its blob is that tar gzipped. Both digests come out of one pass over the
// files: the diff_id (sha256 of the tar) and the blob's digest (sha256 of
// the gzipped tar). Shell: tar -C DIR -c . | tee >(sha256sum) | gzip | sha256sum
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, lstatSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';
import type { IdMapPlan, IdRange } from '../userns/idmap.js';
import { MEDIA_TYPES, sha256, type ContainerConfig, type Descriptor, type ImageConfig } from './oci.js';
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
  const configBytes = Buffer.from(JSON.stringify(image));
  const configDescriptor = { mediaType: MEDIA_TYPES.ociConfig, digest: sha256(configBytes), size: configBytes.length };
  store.putBlob(configDescriptor.digest, configBytes);
  const manifestBytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: configDescriptor, layers: [layer] }));
  const manifestDigest = sha256(manifestBytes);
  store.putBlob(manifestDigest, manifestBytes);
  store.setRef(reference, manifestDigest);
  return reference;
}

/** DIR as a gzipped tar in the store's blobs/, hashed on the way: the tar's sha256 is the diff_id. */
async function writeLayerBlob(store: Store, dir: string, idMap: IdMapPlan): Promise<{ diffId: string; layer: Descriptor }> {
  const pack = tar.pack();
  const tarHash = createHash('sha256');
  const blobHash = createHash('sha256');
  let size = 0;
  const hashing = (hash: ReturnType<typeof createHash>, count = false) => new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      if (count) size += chunk.length;
      done(null, chunk);
    },
  });
  const temporary = store.temporary('import');
  const writing = pipeline(pack, hashing(tarHash), createGzip(), hashing(blobHash, true), createWriteStream(temporary));
  await addTree(pack, dir, '', idMap, new Map());
  pack.finalize();
  await writing;
  const digest = `sha256:${blobHash.digest('hex')}`;
  if (!store.hasBlob(digest)) store.commit(temporary, store.blobPath(digest));
  return { diffId: `sha256:${tarHash.digest('hex')}`, layer: { mediaType: MEDIA_TYPES.ociLayerGzip, digest, size } };
}

/**
 * Add everything under ROOT/REL to PACK, in name order so the same tree
 * always gives the same digest. Owners are written as the container sees
 * them: your files are root's, subordinate ids become the ids they stand for.
 * Devices, fifos and sockets are left out (an image cannot carry a device).
 */
async function addTree(pack: tar.Pack, root: string, rel: string, idMap: IdMapPlan, seen: Map<string, string>): Promise<void> {
  for (const name of readdirSync(join(root, rel)).sort()) {
    const path = rel ? `${rel}/${name}` : name;
    const full = join(root, path);
    const stat = lstatSync(full);
    const header = { name: path, mode: stat.mode & 0o7777, uid: inside(idMap.uidMap, stat.uid), gid: inside(idMap.gidMap, stat.gid), mtime: stat.mtime };
    if (stat.isDirectory()) {
      pack.entry({ ...header, type: 'directory' });
      await addTree(pack, root, path, idMap, seen);
    } else if (stat.isSymbolicLink()) {
      pack.entry({ ...header, type: 'symlink', linkname: readlinkSync(full) });
    } else if (stat.isFile()) {
      const inode = `${stat.dev}:${stat.ino}`;
      const first = stat.nlink > 1 ? seen.get(inode) : undefined;
      if (first !== undefined) {
        pack.entry({ ...header, type: 'link', linkname: first });
        continue;
      }
      if (stat.nlink > 1) seen.set(inode, path);
      await pipeline(createReadStream(full), pack.entry({ ...header, size: stat.size }));
    }
  }
}

/** The id a host id has inside the user namespace; 0 (root) for an id the map does not cover. */
function inside(map: readonly IdRange[], hostId: number): number {
  const range = map.find((r) => hostId >= r.outside && hostId < r.outside + r.count);
  return range ? range.inside + (hostId - range.outside) : 0;
}
