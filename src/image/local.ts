// Images already in the store: finding one by name or id, listing them, and
// getting one ready to run (pulling it first when the --pull policy says so).
// Running an image that is already here is the hot path: it reads the store
// and nothing more. The pull and unpack machinery (and with it the FFI) is
// imported only when something is missing.
import { dataDir } from '../runtime/paths.js';
import type { IdMapPlan } from '../userns/idmap.js';
import type { Descriptor, ImageConfig, ImageManifest, Platform } from './oci.js';
import type { PullEvent } from './pull.js';
import { canonicalName, parseReference } from './reference.js';
import { STORE_LOCK, Store } from './store.js';

export interface LocalImage {
  name: string;
  manifestDigest: string;
  manifest: ImageManifest;
  config: ImageConfig;
}

export const openStore = (): Store => new Store(dataDir());

/** docker's IMAGE ID: the digest of the config, which names the image's content whatever the registry. */
export const imageId = (image: LocalImage): string => image.manifest.config.digest;

export function loadImage(store: Store, name: string, manifestDigest: string): LocalImage {
  const manifest = store.readJson<ImageManifest>(manifestDigest);
  return { name, manifestDigest, manifest, config: store.readJson<ImageConfig>(manifest.config.digest) };
}

export function listImages(store: Store): LocalImage[] {
  return store.refs().flatMap(({ name, digest }) => {
    try {
      return [loadImage(store, name, digest)];
    } catch {
      return []; // a reference whose blobs were removed: not an image any more
    }
  });
}

/** An image by reference ("busybox", "localhost:5000/app:1"), or by a unique prefix of its id. */
export function findImage(store: Store, text: string): LocalImage | undefined {
  const images = listImages(store);
  const name = canonicalName(text);
  const byName = images.find((image) => image.name === name);
  if (byName) return byName;
  const hex = text.replace(/^sha256:/, '');
  if (!/^[a-f0-9]{3,64}$/.test(hex)) return undefined;
  const byId = images.filter((image) => imageId(image).slice(7).startsWith(hex));
  if (new Set(byId.map(imageId)).size > 1) throw new Error(`${text}: more than one image id starts with it; give more characters`);
  return byId[0];
}

export type PullPolicy = 'missing' | 'always' | 'never';
export const PULL_POLICIES: readonly PullPolicy[] = ['missing', 'always', 'never'];

export interface ResolveOptions {
  pull: PullPolicy;
  idMap: IdMapPlan;
  platform?: Platform;
  tlsVerify?: boolean;
  onProgress?: (event: PullEvent) => void;
}

/** The image `run` asked for, pulled first if the policy says so. */
export async function resolveImage(store: Store, text: string, options: ResolveOptions): Promise<LocalImage> {
  const local = options.pull === 'always' ? undefined : findImage(store, text);
  if (local) return local;
  if (options.pull === 'never') throw new Error(`image ${text} is not in the local store (and --pull=never)`);
  const { pullImage } = await import('./pull.js');
  return pullImage(store, parseReference(text), options);
}

/**
 * The image's layer directories for this id-map mode, bottom first. Layers
 * pulled in the other mode are unpacked again from the stored blobs.
 */
export async function layersFor(store: Store, image: LocalImage, idMap: IdMapPlan): Promise<string[]> {
  const diffIds = image.config.rootfs.diff_ids;
  const paths = diffIds.map((diffId) => store.layerPath(diffId, idMap.mode));
  if (diffIds.every((diffId) => store.hasLayer(diffId, idMap.mode))) return paths;
  const [{ withLock }, { ensureLayer }] = await Promise.all([import('../runtime/lock.js'), import('./pull.js')]);
  await withLock(store.locks, STORE_LOCK, () => Promise.all(image.manifest.layers.map((layer: Descriptor, i) =>
    ensureLayer(store, layer, diffIds[i], idMap, () => {}, () => {
      throw new Error(`layer ${layer.digest} of ${image.name} is missing from the store: pull the image again`);
    }))), true);
  return paths;
}
