// Images made here instead of pulled (import, commit): a layer blob from a
// tar stream, then the config and the manifest that name it — the same three
// kinds of blob a registry serves (chapter 08), written into the store.
import { createHash } from 'node:crypto';
import { createWriteStream, rmSync } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { Pack } from 'tar-stream';
import { MEDIA_TYPES, sha256, type Descriptor, type ImageConfig } from './oci.js';
import type { Store } from './store.js';

export interface StoredLayer {
  /** sha256 of the uncompressed tar: the config's rootfs.diff_ids entry. */
  diffId: string;
  /** The gzipped blob, as a manifest lists it. */
  layer: Descriptor;
}

/**
 * TAR (a layer's uncompressed bytes, as they stream) gzipped into the
 * store's blobs/. Both digests come out of the one pass:
 * shell: tar -c … | tee >(sha256sum) | gzip | tee >(sha256sum) > blob
 */
export async function storeLayerBlob(store: Store, tar: Readable | Pack, mediaType: string = MEDIA_TYPES.ociLayerGzip): Promise<StoredLayer> {
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
  const temporary = store.temporary('layer-blob');
  // (A tar-stream Pack is a streamx Readable, which pipeline() drives like a Node one: see pack.ts.)
  try {
    await pipeline(tar as Readable, hashing(tarHash), createGzip(), hashing(blobHash, true), createWriteStream(temporary));
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  const digest = `sha256:${blobHash.digest('hex')}`;
  if (!store.hasBlob(digest)) store.commit(temporary, store.blobPath(digest));
  return { diffId: `sha256:${tarHash.digest('hex')}`, layer: { mediaType, digest, size } };
}

/**
 * Store CONFIG and a manifest listing LAYERS (bottom first); returns the
 * manifest's digest and the config's (the image id). DOCKER: docker's
 * schema 2 media types, for an image whose other layers already use them
 * (one manifest should not mix the two).
 */
export function storeImage(store: Store, config: ImageConfig, layers: Descriptor[], docker = false): { manifestDigest: string; imageId: string } {
  const configBytes = Buffer.from(JSON.stringify(config));
  const configDescriptor = { mediaType: docker ? MEDIA_TYPES.dockerConfig : MEDIA_TYPES.ociConfig, digest: sha256(configBytes), size: configBytes.length };
  store.putBlob(configDescriptor.digest, configBytes);
  const manifest = { schemaVersion: 2, mediaType: docker ? MEDIA_TYPES.dockerManifest : MEDIA_TYPES.ociManifest, config: configDescriptor, layers };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  const manifestDigest = sha256(manifestBytes);
  store.putBlob(manifestDigest, manifestBytes);
  return { manifestDigest, imageId: configDescriptor.digest };
}
