// cellblock pull, images, rmi, tag, image inspect — the image store as docker shows it.
// (inspect itself is src/cli/inspect.ts: one verb for containers and images.)
import { loadArchive, saveArchive, type ArchiveFormat } from '../image/archive.js';
import { collectGarbage } from '../image/gc.js';
import { importDirectory } from '../image/import.js';
import { applyChange } from '../image/run-config.js';
import type { ContainerConfig } from '../image/oci.js';
import { findImage, imageId, listImages, openStore, type LocalImage } from '../image/local.js';
import { parsePlatform } from '../image/platform.js';
import { pullImage } from '../image/pull.js';
import { isUntagged } from '../image/store.js';
import { canonicalName, familiarName, formatReference, parseReference } from '../image/reference.js';
import { EXIT_RUNTIME_FAILED } from '../runtime/exit-status.js';
import { listRecords } from '../runtime/records.js';
import { planIdMap, type UsernsMode } from '../userns/idmap.js';
import { ago, formatTable } from './format.js';
import { pullProgress } from './progress.js';

export async function pull(text: string, options: { quiet?: boolean; platform?: string; userns?: UsernsMode; tlsVerify: boolean }): Promise<void> {
  const ref = parseReference(text);
  const image = await pullImage(openStore(), ref, {
    idMap: planIdMap(options.userns),
    platform: options.platform !== undefined ? parsePlatform(options.platform) : undefined,
    tlsVerify: options.tlsVerify,
    // As docker pull: progress on stdout, so stderr holds nothing but a failure.
    onProgress: pullProgress(process.stdout, options.quiet),
  });
  process.stdout.write(options.quiet ? `${imageId(image)}\n` : `Pulled ${image.name} (id ${short(imageId(image))}, manifest ${image.manifestDigest})\n`);
}

const short = (digest: string) => digest.slice(7, 19);

/** "busybox:latest" → ["busybox", "latest"]; "app@sha256:…" → ["app", "<none>"]; an image with no name → ["<none>", "<none>"] */
function repositoryAndTag(name: string): [string, string] {
  if (isUntagged(name)) return ['<none>', '<none>'];
  const ref = parseReference(name);
  return [familiarName(ref), ref.tag ?? '<none>'];
}

export function images(options: { quiet?: boolean }): void {
  const all = listImages(openStore());
  if (options.quiet) {
    for (const id of new Set(all.map(imageId))) process.stdout.write(`${short(id)}\n`);
    return;
  }
  const rows = [['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE']];
  for (const image of all) {
    const [repository, tag] = repositoryAndTag(image.name);
    // The compressed size of the layers: what was downloaded and is stored as blobs.
    const size = image.manifest.layers.reduce((sum, layer) => sum + layer.size, 0);
    rows.push([repository, tag, short(imageId(image)), image.config.created ? `${ago(image.config.created)} ago` : '-', `${(size / 1e6).toFixed(1)}MB`]);
  }
  process.stdout.write(formatTable(rows));
}

function mustFind(text: string): LocalImage {
  const image = findImage(openStore(), text);
  if (!image) throw new Error(`no such image: ${text}`);
  return image;
}

export function tag(source: string, target: string): void {
  const image = mustFind(source);
  openStore().setRef(formatReference(parseReference(target)), image.manifestDigest);
}

/**
 * Remove names; an image goes when its last name does. An image that a
 * container (running or not) was made from is kept unless -f, as docker does.
 */
export async function rmi(names: string[], options: { force?: boolean }): Promise<number> {
  const store = openStore();
  let status = 0;
  for (const text of names) {
    try {
      const image = mustFind(text);
      const users = listRecords().filter((record) => record.imageManifest === image.manifestDigest);
      if (users.length > 0 && !options.force) {
        throw new Error(`image ${text} is used by container ${users[0].id.slice(0, 12)} (${users[0].name}): remove the container first, or use rmi -f`);
      }
      // By id: every name of it; by name: just that one.
      const byId = image.name !== canonicalName(text);
      const names = byId ? store.refs().filter((ref) => ref.digest === image.manifestDigest).map((ref) => ref.name) : [image.name];
      for (const name of names) {
        store.removeRef(name);
        process.stdout.write(`Untagged: ${name}\n`);
      }
    } catch (error) {
      process.stderr.write(`cellblock: ${(error as Error).message}\n`);
      status = EXIT_RUNTIME_FAILED;
    }
  }
  const { blobs, layers } = await collectGarbage(store);
  if (blobs || layers) process.stdout.write(`Deleted: ${blobs} blobs, ${layers} layers\n`);
  return status;
}

/** TEXT's image as `docker image inspect` shows it, or undefined when there is no such image. */
export function describeImage(text: string) {
  const store = openStore();
  const image = findImage(store, text);
  if (!image) return undefined;
  const refs = store.refs().filter((ref) => ref.digest === image.manifestDigest && !isUntagged(ref.name));
  return {
    Id: imageId(image),
    RepoTags: refs.map((ref) => ref.name),
    RepoDigests: refs.map((ref) => {
      const { registry, repository } = parseReference(ref.name);
      return `${registry}/${repository}@${image.manifestDigest}`;
    }),
    Created: image.config.created,
    Author: image.config.author ?? '',
    Comment: image.config.history?.at(-1)?.comment ?? '',
    Architecture: image.config.architecture,
    Os: image.config.os,
    ...(image.config.variant ? { Variant: image.config.variant } : {}),
    Config: image.config.config ?? {},
    RootFS: { Type: 'layers', Layers: image.config.rootfs.diff_ids },
    Size: image.manifest.layers.reduce((sum, layer) => sum + layer.size, 0),
    Manifest: image.manifestDigest,
  };
}

export async function load(options: { input: string; userns?: UsernsMode }): Promise<void> {
  for (const name of await loadArchive(openStore(), options.input, planIdMap(options.userns))) process.stdout.write(`Loaded image: ${name}\n`);
}

export async function save(names: string[], options: { output: string; format: ArchiveFormat }): Promise<void> {
  await saveArchive(openStore(), names, options.output, options.format);
}

export async function prune(): Promise<void> {
  const { blobs, layers } = await collectGarbage(openStore());
  process.stdout.write(`Deleted: ${blobs} blobs, ${layers} layers\n`);
}

export async function importImage(dir: string, name: string, options: { change: string[]; userns?: UsernsMode }): Promise<void> {
  const config = options.change.reduce<ContainerConfig>(applyChange, {});
  const imported = await importDirectory(openStore(), dir, name, config, planIdMap(options.userns));
  process.stdout.write(`Imported ${imported}\n`);
}
