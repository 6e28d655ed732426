// Pulling an image (chapter 08), the registry protocol step by step:
//
//   GET /v2/NAME/manifests/TAG     the index (one manifest per platform) or a manifest
//   GET /v2/NAME/manifests/DIGEST  the manifest for this machine's platform
//   GET /v2/NAME/blobs/DIGEST      the config: env, cmd, and the diff_ids of the layers
//   GET /v2/NAME/blobs/DIGEST      each layer, in parallel: hashed, stored, unpacked
//
// Every byte is checked against a digest before it is used: the manifest's
// digest (computed by the registry client), each blob's sha256 as it streams
// past, and each layer's diff_id (the sha256 of the uncompressed tar).
import { createReadStream, rmSync } from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import { withLock } from '../runtime/lock.js';
import type { IdMapPlan } from '../userns/idmap.js';
import { credentialsFor } from './credentials.js';
import { parseConfig, parseIndex, parseManifest } from './validate.js';
import { isIndex, sha256, type Descriptor, type Platform } from './oci.js';
import { hostPlatform, selectManifest } from './platform.js';
import { formatReference, type ImageReference } from './reference.js';
import { Registry } from './registry.js';
import type { LocalImage } from './local.js';
import { DigestMismatchError, STORE_LOCK, type Store } from './store.js';
import { removeTree, unpackLayer } from './unpack.js';

export interface PullOptions {
  idMap: IdMapPlan;
  platform?: Platform;
  tlsVerify?: boolean;
  onProgress?: (event: PullEvent) => void;
}

export type PullEvent =
  | { kind: 'manifest'; reference: string; digest: string; layers: Descriptor[] }
  | { kind: 'layer'; digest: string; status: 'present' | 'waiting' | 'downloading' | 'unpacking' | 'done'; bytes?: number; total?: number };

export function pullImage(store: Store, ref: ImageReference, options: PullOptions): Promise<LocalImage> {
  return withLock(store.locks, STORE_LOCK, () => pull(store, ref, options), true);
}

async function pull(store: Store, ref: ImageReference, options: PullOptions): Promise<LocalImage> {
  const progress = options.onProgress ?? (() => {});
  await removeStaleTemporaries(store, options.idMap);
  const registry = await Registry.connect(ref.registry, { tlsVerify: options.tlsVerify, credentials: credentialsFor(ref.registry) });

  // The index, manifest and config are checked before any of them is
  // stored, and stored only once every layer is: an image refused for any
  // reason leaves nothing behind but the layers that were fine.
  const documents: { digest: string; bytes: Buffer }[] = [];
  let found = await registry.manifest(ref.repository, ref.digest ?? ref.tag!);
  if (isIndex(found.mediaType)) {
    const chosen = selectManifest(parseIndex(found.bytes, found.digest), options.platform ?? hostPlatform());
    documents.push(found);
    found = await registry.manifest(ref.repository, chosen.digest);
  }
  const manifest = parseManifest(found.bytes, found.mediaType, found.digest);
  documents.push(found);
  progress({ kind: 'manifest', reference: formatReference(ref), digest: found.digest, layers: manifest.layers });

  const configBytes = store.hasBlob(manifest.config.digest)
    ? store.readBlob(manifest.config.digest)
    : await readSmallBlob((await registry.blob(ref.repository, manifest.config.digest)).stream, manifest.config);
  const config = parseConfig(configBytes, manifest, found.digest);
  documents.push({ digest: manifest.config.digest, bytes: configBytes });
  const diffIds = config.rootfs.diff_ids;
  await Promise.all(manifest.layers.map((layer, i) =>
    ensureLayer(store, layer, diffIds[i], options.idMap, progress, async () => (await registry.blob(ref.repository, layer.digest)).stream)));

  for (const { digest, bytes } of documents) store.putBlob(digest, bytes);
  const name = formatReference(ref);
  store.setRef(name, found.digest);
  return { name, manifestDigest: found.digest, manifest, config };
}

/** All of a small blob (a config) in memory, no more bytes than DESCRIPTOR says, checked against its digest. */
async function readSmallBlob(stream: Readable, descriptor: Descriptor): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream) {
    length += (chunk as Buffer).length;
    if (length > descriptor.size) {
      stream.destroy();
      throw new Error(`blob ${descriptor.digest}: the registry sent more than the ${descriptor.size} bytes the manifest says`);
    }
    chunks.push(chunk as Buffer);
  }
  const bytes = Buffer.concat(chunks);
  const actual = sha256(bytes);
  if (actual !== descriptor.digest) throw new DigestMismatchError(`blob ${descriptor.digest}`, descriptor.digest, actual);
  return bytes;
}

/**
 * Make sure layer DIFF_ID is unpacked in the store, fetching LAYER with FETCH
 * if its blob is not there yet. Two pulls of the same layer take turns on a
 * lock; the second finds the work done.
 */
export async function ensureLayer(
  store: Store, layer: Descriptor, diffId: string, idMap: IdMapPlan,
  progress: (event: PullEvent) => void, fetch: () => Promise<Readable>,
): Promise<void> {
  if (store.hasLayer(diffId, idMap.mode)) return progress({ kind: 'layer', digest: layer.digest, status: 'present' });
  progress({ kind: 'layer', digest: layer.digest, status: 'waiting' });
  await withLock(store.locks, `layer-${diffId.slice(7)}-${idMap.mode}`, async () => {
    if (store.hasLayer(diffId, idMap.mode)) return progress({ kind: 'layer', digest: layer.digest, status: 'present' });
    const haveBlob = store.hasBlob(layer.digest);
    const source = haveBlob ? createReadStream(store.blobPath(layer.digest)) : await fetch();
    let bytes = 0;
    source.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      // More than the manifest said: a registry that would send without end. (Fewer shows in the digest.)
      if (bytes > layer.size) source.destroy(new Error(`blob ${layer.digest}: the registry sent more than the ${layer.size} bytes the manifest says`));
      else progress({ kind: 'layer', digest: layer.digest, status: 'downloading', bytes, total: layer.size });
    });

    // One stream, two readers: the blob store (which hashes what it writes)
    // and the unpacker. pipe() pauses the source whenever either is full, so
    // memory stays flat whatever the layer's size. A blob already stored was
    // verified when it was written; it only feeds the unpacker.
    const toUnpack = new PassThrough();
    const toStore = haveBlob ? undefined : new PassThrough();
    source.pipe(toUnpack);
    if (toStore) source.pipe(toStore);
    const target = store.temporary('layer');
    const stored = toStore ? store.stageBlobStream(layer.digest, toStore) : Promise.resolve(undefined);
    const unpacked = unpackLayer(toUnpack, layer.mediaType, target, idMap, { name: layer.digest });
    // If one side fails, the other must not wait forever for bytes that will
    // not come. Except one case: when the unpacker gives up on corrupt bytes,
    // the store keeps reading to the end, so the verdict the user sees is the
    // one that explains it — the blob's digest does not match.
    const stop = (error: unknown) => {
      source.destroy(error as Error);
      toUnpack.destroy(error as Error);
      toStore?.destroy(error as Error);
    };
    source.on('error', stop);
    stored.catch(stop);
    unpacked.catch((error) => {
      if (!toStore) return stop(error);
      source.unpipe(toUnpack);
      toUnpack.destroy();
    });

    const [storeResult, unpackResult] = await Promise.allSettled([stored, unpacked]);
    try {
      // A digest error explains an unpack error (corrupt bytes), not the other way round.
      if (storeResult.status === 'rejected') throw storeResult.reason;
      if (unpackResult.status === 'rejected') throw unpackResult.reason;
      if (unpackResult.value.diffId !== diffId) {
        throw new DigestMismatchError(`layer ${layer.digest} (uncompressed)`, diffId, unpackResult.value.diffId);
      }
    } catch (error) {
      // Neither half is kept: a blob whose layer could not be unpacked is of no use.
      if (storeResult.status === 'fulfilled' && storeResult.value) rmSync(storeResult.value, { force: true });
      await removeTree(target, idMap).catch(() => {});
      throw error;
    }
    for (const notice of unpackResult.value.notices) process.stderr.write(`cellblock: ${notice}\n`);
    if (storeResult.value) store.commit(storeResult.value, store.blobPath(layer.digest));
    const { size, survey } = unpackResult.value;
    store.putLayerSum(idMap.mode, { diffId, size, survey });
    store.commit(target, store.layerPath(diffId, idMap.mode));
    progress({ kind: 'layer', digest: layer.digest, status: 'done', bytes, total: layer.size });
  });
}

/** Half-written blobs and layers of pulls that were killed: nothing uses them, so they go. */
async function removeStaleTemporaries(store: Store, idMap: IdMapPlan): Promise<void> {
  await Promise.all(store.staleTemporaries().map((path) => removeTree(path, idMap).catch(() => {})));
}
