// Images as files (chapter 08): `load -i` and `save -o` for the two formats in use.
//
//   OCI image layout    oci-layout, index.json, blobs/sha256/<hex> — the
//                       registry's content, as files; a directory or a tar of one
//   docker-archive      manifest.json, <config>.json, <layer>/layer.tar — what
//                       `docker save` writes: uncompressed layers, no manifest blob
import { createHash } from 'node:crypto';
import { createGunzip } from 'node:zlib';
import { closeSync, createReadStream, createWriteStream, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import type { IdMapPlan } from '../userns/idmap.js';
import { findImage, imageId, type LocalImage } from './local.js';
import { DIGEST, MEDIA_TYPES, isIndex, sha256, type Descriptor, type ImageConfig, type ImageIndex, type ImageManifest } from './oci.js';
import { hostPlatform, selectManifest } from './platform.js';
import { ensureLayer } from './pull.js';
import { familiarName, formatReference, parseReference } from './reference.js';
import { isUntagged, type Store } from './store.js';

export type ArchiveFormat = 'docker-archive' | 'oci-archive' | 'oci-dir';
export const ARCHIVE_FORMATS: readonly ArchiveFormat[] = ['docker-archive', 'oci-archive', 'oci-dir'];

const REF_NAME = 'org.opencontainers.image.ref.name';
const hex = (digest: string) => digest.slice('sha256:'.length);

// — load —

/** Load every image in INPUT (a directory or a tar); returns the names now in the store. */
export async function loadArchive(store: Store, input: string, idMap: IdMapPlan): Promise<string[]> {
  if (!existsSync(input)) throw new Error(`load: ${input}: no such file or directory`);
  const dir = statSync(input).isDirectory() ? input : await untarFiles(input, store.temporary('load'));
  try {
    if (existsSync(join(dir, 'oci-layout'))) return await loadOciLayout(store, dir, idMap);
    if (existsSync(join(dir, 'manifest.json'))) return await loadDockerArchive(store, dir, idMap);
    throw new Error(`load: ${input} is neither an OCI image layout (no oci-layout file) nor a docker-archive (no manifest.json)`);
  } finally {
    if (dir !== input) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The regular files of the tar FILE, into DIR. An archive is data from
 * elsewhere: names with ".." or a leading "/" are refused, nothing else
 * (links, devices) is written, and the files are ours alone.
 */
async function untarFiles(file: string, dir: string): Promise<string> {
  mkdirSync(dir, { mode: 0o700 });
  const extract = tar.extract();
  const reading = pipeline(createReadStream(file), extract);
  for await (const entry of extract) {
    const name = normalize(entry.header.name);
    if (name.startsWith('..') || name.startsWith('/')) throw new Error(`load: ${file}: entry "${entry.header.name}" points outside the archive`);
    if (entry.header.type === 'file') {
      mkdirSync(dirname(join(dir, name)), { recursive: true });
      await pipeline(entry, createWriteStream(join(dir, name), { mode: 0o600 }));
    } else {
      entry.resume();
    }
  }
  await reading;
  return dir;
}

function readJson<T>(path: string, what: string): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (error) {
    throw new Error(`load: ${what}: ${(error as NodeJS.ErrnoException).code ?? 'not valid JSON'}`);
  }
}

async function loadOciLayout(store: Store, dir: string, idMap: IdMapPlan): Promise<string[]> {
  const blob = (digest: string) => {
    if (!DIGEST.test(digest)) throw new Error(`load: "${digest}" is not a sha256 digest`);
    return join(dir, 'blobs', 'sha256', hex(digest));
  };
  const names: string[] = [];
  for (const entry of readJson<ImageIndex>(join(dir, 'index.json'), 'index.json').manifests ?? []) {
    const name = layoutName(entry, dir);
    let descriptor = entry;
    if (isIndex(descriptor.mediaType)) {
      await store.putBlobStream(descriptor.digest, createReadStream(blob(descriptor.digest)));
      descriptor = selectManifest(store.readJson<ImageIndex>(descriptor.digest), hostPlatform());
    }
    await addImage(store, name, descriptor.digest, idMap, (digest) => createReadStream(blob(digest)));
    names.push(name);
  }
  if (names.length === 0) throw new Error(`load: ${dir}/index.json lists no image`);
  return names;
}

/** The name an OCI layout gives an image: a full reference, or just a tag for localhost/<dir>. */
function layoutName(entry: Descriptor, dir: string): string {
  const given = entry.annotations?.[REF_NAME] ?? entry.annotations?.['io.containerd.image.name'];
  if (!given) throw new Error(`load: an image in ${dir}/index.json has no ${REF_NAME} annotation to name it by`);
  const reference = given.includes('/') || given.includes(':') || given.includes('@') ? given : `localhost/${dirname(join(dir, '.')).split('/').pop() || 'image'}:${given}`;
  return formatReference(parseReference(reference));
}

/** Store manifest DIGEST and what it points to, read with OPEN, verifying each; then name it. */
async function addImage(store: Store, name: string, manifestDigest: string, idMap: IdMapPlan, open: (digest: string) => Readable): Promise<void> {
  if (!store.hasBlob(manifestDigest)) await store.putBlobStream(manifestDigest, open(manifestDigest));
  const manifest = store.readJson<ImageManifest>(manifestDigest);
  if (!store.hasBlob(manifest.config.digest)) await store.putBlobStream(manifest.config.digest, open(manifest.config.digest));
  const config = store.readJson<ImageConfig>(manifest.config.digest);
  if (config.rootfs.diff_ids.length !== manifest.layers.length) throw new Error(`load: ${name}: ${manifest.layers.length} layers but ${config.rootfs.diff_ids.length} diff_ids`);
  await Promise.all(manifest.layers.map((layer, i) => ensureLayer(store, layer, config.rootfs.diff_ids[i], idMap, () => {}, async () => open(layer.digest))));
  store.setRef(name, manifestDigest);
}

interface DockerArchiveEntry { Config: string; RepoTags?: string[] | null; Layers: string[] }

async function loadDockerArchive(store: Store, given: string, idMap: IdMapPlan): Promise<string[]> {
  const dir = resolve(given); // "-i ." must work: compare absolute paths
  const inside = (path: string) => {
    const full = resolve(dir, path);
    if (!full.startsWith(`${dir}/`)) throw new Error(`load: "${path}" points outside the archive`);
    return full;
  };
  const names: string[] = [];
  for (const entry of readJson<DockerArchiveEntry[]>(join(dir, 'manifest.json'), 'manifest.json')) {
    if (!entry.RepoTags?.length) throw new Error(`load: an image in the archive (${entry.Config}) has no RepoTags to name it by`);
    // docker-archive has no manifest: we write the OCI manifest it implies.
    const configBytes = readFileSync(inside(entry.Config));
    const config = { mediaType: MEDIA_TYPES.ociConfig, digest: sha256(configBytes), size: configBytes.length };
    store.putBlob(config.digest, configBytes);
    const layers: Descriptor[] = await Promise.all(entry.Layers.map(async (path) => ({
      mediaType: isGzip(inside(path)) ? MEDIA_TYPES.ociLayerGzip : MEDIA_TYPES.ociLayer,
      digest: await hashFile(inside(path)),
      size: statSync(inside(path)).size,
    })));
    const manifestBytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config, layers }));
    const manifestDigest = sha256(manifestBytes);
    store.putBlob(manifestDigest, manifestBytes);
    const byDigest = new Map(layers.map((layer, i) => [layer.digest, inside(entry.Layers[i])]));
    for (const tag of entry.RepoTags) {
      const name = formatReference(parseReference(tag));
      await addImage(store, name, manifestDigest, idMap, (digest) => createReadStream(byDigest.get(digest)!));
      names.push(name);
    }
  }
  return names;
}

/** gzip streams start with the bytes 1f 8b. */
function isGzip(path: string): boolean {
  const head = Buffer.alloc(2);
  const fd = openSync(path, 'r');
  try {
    return readSync(fd, head, 0, 2, 0) === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

// — save —

export async function saveArchive(store: Store, names: string[], output: string, format: ArchiveFormat): Promise<void> {
  const images = names.map((text) => {
    const image = findImage(store, text);
    if (!image) throw new Error(`save: no such image: ${text}`);
    return image;
  });
  const files = format === 'docker-archive' ? await dockerArchiveFiles(store, images, names) : ociLayoutFiles(store, images);
  // Written beside OUTPUT and renamed at the end: a failed save leaves no half archive.
  const temporary = `${output}.cellblock-tmp-${process.pid}`;
  try {
    if (format === 'oci-dir') {
      for (const file of files) {
        mkdirSync(dirname(join(temporary, file.name)), { recursive: true });
        if (file.bytes) writeFileSync(join(temporary, file.name), file.bytes);
        else await pipeline(file.open!(), createWriteStream(join(temporary, file.name)));
      }
      if (existsSync(output)) throw new Error(`save: ${output} already exists`);
    } else {
      await writeTar(temporary, files);
    }
    renameSync(temporary, output);
  } finally {
    rmSync(temporary, { recursive: true, force: true });
    for (const file of files) file.cleanup?.();
  }
}

interface ArchiveFile { name: string; size: number; bytes?: Buffer; open?: () => Readable; cleanup?: () => void }

const bytesFile = (name: string, value: unknown): ArchiveFile => {
  const bytes = Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
  return { name, size: bytes.length, bytes };
};

function ociLayoutFiles(store: Store, images: LocalImage[]): ArchiveFile[] {
  const blobs = new Set<string>();
  for (const image of images) [image.manifestDigest, image.manifest.config.digest, ...image.manifest.layers.map((l) => l.digest)].forEach((d) => blobs.add(d));
  const index = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociIndex,
    manifests: images.map((image) => ({
      mediaType: image.manifest.mediaType ?? MEDIA_TYPES.ociManifest,
      digest: image.manifestDigest,
      size: store.readBlob(image.manifestDigest).length,
      ...(isUntagged(image.name) ? {} : { annotations: { [REF_NAME]: image.name } }),
    })),
  };
  return [
    bytesFile('oci-layout', { imageLayoutVersion: '1.0.0' }),
    bytesFile('index.json', index),
    ...[...blobs].map((digest) => ({ name: `blobs/sha256/${hex(digest)}`, size: statSync(store.blobPath(digest)).size, open: () => createReadStream(store.blobPath(digest)) })),
  ];
}

/** docker-archive wants uncompressed layer tars: each is decompressed once, to a temporary file. */
async function dockerArchiveFiles(store: Store, images: LocalImage[], asked: string[]): Promise<ArchiveFile[]> {
  const files: ArchiveFile[] = [];
  const done = new Set<string>();
  const entries: DockerArchiveEntry[] = [];
  for (const [i, image] of images.entries()) {
    const diffIds = image.config.rootfs.diff_ids;
    const configName = `${hex(imageId(image))}.json`;
    if (!done.has(configName)) {
      files.push({ name: configName, size: store.readBlob(imageId(image)).length, bytes: store.readBlob(imageId(image)) });
      done.add(configName);
    }
    for (const [n, layer] of image.manifest.layers.entries()) {
      const name = `${hex(diffIds[n])}/layer.tar`;
      if (done.has(name)) continue;
      done.add(name);
      files.push(await uncompressedLayer(store, layer, name));
    }
    // An image with no name (commit without one) is saved with none, as docker does.
    const ref = isUntagged(image.name) ? undefined : parseReference(image.name);
    const tag = ref?.tag ? `${familiarName(ref)}:${ref.tag}` : undefined;
    entries.push({ Config: configName, RepoTags: tag ? [tag] : ref ? [asked[i]] : [], Layers: diffIds.map((d) => `${hex(d)}/layer.tar`) });
  }
  return [bytesFile('manifest.json', entries), ...files];
}

async function uncompressedLayer(store: Store, layer: Descriptor, name: string): Promise<ArchiveFile> {
  const blob = store.blobPath(layer.digest);
  if (layer.mediaType === MEDIA_TYPES.ociLayer) return { name, size: statSync(blob).size, open: () => createReadStream(blob) };
  if (layer.mediaType !== MEDIA_TYPES.ociLayerGzip && layer.mediaType !== MEDIA_TYPES.dockerLayerGzip) {
    throw new Error(`save: layer ${layer.digest} is ${layer.mediaType}; docker-archive can only hold gzip or plain tar layers`);
  }
  const temporary = store.temporary('save-layer');
  await pipeline(createReadStream(blob), createGunzip(), createWriteStream(temporary));
  return { name, size: statSync(temporary).size, open: () => createReadStream(temporary), cleanup: () => rmSync(temporary, { force: true }) };
}

async function writeTar(path: string, files: ArchiveFile[]): Promise<void> {
  const pack = tar.pack();
  const writing = pipeline(pack, createWriteStream(path, { mode: 0o644 }));
  for (const file of files) {
    const header = { name: file.name, size: file.size, mode: 0o644, mtime: new Date(0) };
    if (file.bytes) pack.entry(header, file.bytes);
    else await pipeline(file.open!(), pack.entry(header));
  }
  pack.finalize();
  await writing;
}
