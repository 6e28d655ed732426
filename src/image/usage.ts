// How much disk the images take, as `cellblock system df` shows it.
//
// An image is made of parts: its manifest and config blobs, its layer
// blobs, and each layer unpacked (once per id-map mode it was used in).
// Images share parts — two tags of one image, two images on one base — so
// a part's bytes count once in a total, and an image's SIZE splits into
// SHARED (parts another image has too) and UNIQUE (what removing it frees),
// as docker's do. RECLAIMABLE is what no container needs.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { diskUsage, readdirOrEmpty } from '../runtime/files.js';
import { listRecords } from '../runtime/records.js';
import { USERNS_MODES, type UsernsMode } from '../userns/idmap.js';
import { listImages, type LocalImage } from './local.js';
import type { Store } from './store.js';

export interface ImageUsage {
  /** One of its names (the first listed), and all of them. */
  image: LocalImage;
  names: string[];
  size: number;
  shared: number;
  unique: number;
  /** Containers made from it, running or not. */
  containers: number;
}

export interface StoreUsage {
  images: ImageUsage[];
  /** Bytes of every image's parts, each part once. */
  total: number;
  /** Of TOTAL, the bytes no container's image needs. */
  reclaimable: number;
}

export function storeUsage(store: Store): StoreUsage {
  const records = listRecords();
  const byManifest = new Map<string, LocalImage[]>();
  for (const image of listImages(store)) byManifest.set(image.manifestDigest, [...(byManifest.get(image.manifestDigest) ?? []), image]);
  const bytes = new Map<string, number>();
  const partsOf = new Map<string, string[]>();
  for (const [digest, [image]] of byManifest) partsOf.set(digest, imageParts(store, image, bytes));
  const users = new Map<string, number>();
  for (const part of [...partsOf.values()].flat()) users.set(part, (users.get(part) ?? 0) + 1);
  const sum = (parts: Iterable<string>) => [...parts].reduce((total, part) => total + (bytes.get(part) ?? 0), 0);

  const images = [...byManifest].map(([digest, named]) => {
    const parts = partsOf.get(digest)!;
    const shared = sum(parts.filter((part) => users.get(part)! > 1));
    const size = sum(parts);
    return { image: named[0], names: named.map((i) => i.name), size, shared, unique: size - shared, containers: records.filter((r) => r.imageManifest === digest).length };
  });
  const active = new Set(images.filter((i) => i.containers > 0).flatMap((i) => partsOf.get(i.image.manifestDigest)!));
  const all = new Set([...partsOf.values()].flat());
  return { images, total: sum(all), reclaimable: sum([...all].filter((part) => !active.has(part))) };
}

/** IMAGE's parts as keys ("blob sha256:…", "layer subids sha256:…"), their sizes noted in BYTES. */
function imageParts(store: Store, image: LocalImage, bytes: Map<string, number>): string[] {
  const parts: string[] = [];
  const note = (key: string, size: () => number) => {
    if (!bytes.has(key)) bytes.set(key, size());
    parts.push(key);
  };
  for (const digest of [image.manifestDigest, image.manifest.config.digest, ...image.manifest.layers.map((layer) => layer.digest)]) {
    if (store.hasBlob(digest)) note(`blob ${digest}`, () => statSync(store.blobPath(digest)).size);
  }
  for (const mode of USERNS_MODES) {
    for (const diffId of image.config.rootfs.diff_ids) {
      if (!store.hasLayer(diffId, mode)) continue;
      note(`layer ${mode} ${diffId}`, () => layerBytes(store, diffId, mode));
    }
  }
  return parts;
}


/** Bytes of everything the store holds for images: every blob, every unpacked layer (what gc can free from). */
export function storeBytes(store: Store): number {
  let total = 0;
  for (const hex of readdirOrEmpty(join(store.root, 'blobs', 'sha256'))) total += statSync(join(store.root, 'blobs', 'sha256', hex), { throwIfNoEntry: false })?.size ?? 0;
  for (const mode of USERNS_MODES) {
    for (const hex of readdirOrEmpty(join(store.root, 'layers', mode))) total += layerBytes(store, `sha256:${hex}`, mode);
  }
  return total;
}

/**
 * The file bytes of an unpacked layer. The sum written at unpack time knows
 * them; walking a layer of subordinate ids from outside would miss what we
 * cannot read (diskUsage's lower bound), so that is only for layers without one.
 */
function layerBytes(store: Store, diffId: string, mode: UsernsMode): number {
  return store.readLayerSum(diffId, mode)?.survey.bytes ?? diskUsage(store.layerPath(diffId, mode));
}
