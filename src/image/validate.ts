// What a pull refuses before it stores or downloads anything (chapter 08).
//
// A manifest and a config are somebody else's JSON. The digests prove the
// bytes are the ones the registry meant to send, not that they make sense:
// a manifest may name a layer of 2^53 bytes, a size of -1, a config that
// is not an image's, or list three layers where its config lists two
// diff_ids. Each is refused here in one line, while nothing of the image
// is stored yet — checked first, stored after (src/image/pull.ts).
import { parseSize } from '../cgroups/limits.js';
import { DIGEST, MEDIA_TYPES, type Descriptor, type ImageConfig, type ImageIndex, type ImageManifest } from './oci.js';
import { compressionOf } from './unpack/compression.js';

/** A config is a few KiB (its history makes it grow); 4 MiB, as for a manifest, is plenty. */
export const MAX_CONFIG_BYTES = 4 << 20;

/**
 * The most bytes one layer may hold, compressed or not: a defence against a
 * registry that sends without end, and against a decompression bomb (a
 * small gzip of zeros that would fill the disk). The largest real layers
 * (CUDA, ML frameworks) are a few GiB; CELLBLOCK_MAX_LAYER_SIZE (docker's
 * size units: 64g) raises it.
 */
export const DEFAULT_MAX_LAYER_SIZE = '32g';
export const MAX_LAYER_SIZE_VARIABLE = 'CELLBLOCK_MAX_LAYER_SIZE';

/** The limit in bytes, and how to say it in a message. */
export function layerSizeLimit(env: NodeJS.ProcessEnv = process.env): { bytes: number; text: string } {
  const text = env[MAX_LAYER_SIZE_VARIABLE] || DEFAULT_MAX_LAYER_SIZE;
  return { bytes: parseSize(text, MAX_LAYER_SIZE_VARIABLE), text };
}

const MANIFESTS = new Set<string>([MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest]);
const CONFIGS = new Set<string>([MEDIA_TYPES.ociConfig, MEDIA_TYPES.dockerConfig]);
const SCHEMA_1 = new Set(['application/vnd.docker.distribution.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v1+prettyjws']);

/** JSON.parse of a blob that must be an object, or a one-line error naming WHAT. */
function parseObject(bytes: Buffer, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new Error(`${what} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

/**
 * A descriptor's digest and size, checked before anything is fetched with
 * it: a sha256 digest, and a whole number of bytes no larger than MAX.
 */
function checkDescriptor(value: unknown, what: string, max: { bytes: number; text: string }): Descriptor {
  const descriptor = value as Partial<Descriptor> | null;
  if (typeof descriptor !== 'object' || descriptor === null) throw new Error(`${what} is not a descriptor (an object with mediaType, digest and size)`);
  if (typeof descriptor.digest !== 'string' || !DIGEST.test(descriptor.digest)) throw new Error(`${what} has digest ${JSON.stringify(descriptor.digest)}, not sha256: and 64 hex digits`);
  const { size } = descriptor;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) throw new Error(`${what} has size ${JSON.stringify(size)}, not a byte count`);
  if (size > max.bytes) throw new Error(`${what} is ${size} bytes, more than ${max.text}: refusing it before downloading`);
  if (typeof descriptor.mediaType !== 'string') throw new Error(`${what} has no media type`);
  return descriptor as Descriptor;
}

/** An index, as far as choosing a platform from it needs. */
export function parseIndex(bytes: Buffer, digest: string): ImageIndex {
  const index = parseObject(bytes, `index ${digest}`);
  if (!Array.isArray(index.manifests)) throw new Error(`index ${digest} has no list of manifests`);
  return index as unknown as ImageIndex;
}

/**
 * An image manifest of MEDIA_TYPE: an image's (not schema 1, not an
 * artifact's), with a config and a list of layers whose digests, sizes and
 * compressions cellblock can use.
 */
export function parseManifest(bytes: Buffer, mediaType: string, digest: string): ImageManifest {
  const what = `manifest ${digest}`;
  if (SCHEMA_1.has(mediaType)) throw new Error(`${what} is a schema 1 manifest, which is not supported (push the image again with a current docker, podman or skopeo)`);
  if (!MANIFESTS.has(mediaType)) throw new Error(`${what} has media type ${JSON.stringify(mediaType)}, which is not an image manifest`);
  const manifest = parseObject(bytes, what);
  if (manifest.config === undefined) throw new Error(`${what} has no config`);
  const config = checkDescriptor(manifest.config, `${what}: the config`, { bytes: MAX_CONFIG_BYTES, text: `the ${MAX_CONFIG_BYTES >> 20} MiB a config may be` });
  if (!CONFIGS.has(config.mediaType)) throw new Error(`${what}: the config has media type ${JSON.stringify(config.mediaType)}: not an image (an artifact?)`);
  if (manifest.layers === undefined) throw new Error(`${what} has no layers`);
  if (!Array.isArray(manifest.layers)) throw new Error(`${what}: "layers" is not a list`);
  const limit = layerSizeLimit();
  const max = { bytes: limit.bytes, text: `the ${limit.text} a layer may be (${MAX_LAYER_SIZE_VARIABLE} raises it)` };
  manifest.layers.forEach((layer, i) => {
    const descriptor = checkDescriptor(layer, `${what}: layer ${i}`, max);
    try {
      compressionOf(descriptor.mediaType);
    } catch (error) {
      throw new Error(`${what}: layer ${i}: ${(error as Error).message}`);
    }
  });
  return manifest as unknown as ImageManifest;
}

/** The config of MANIFEST (whose digest is DIGEST): JSON, with one diff_id per layer. */
export function parseConfig(bytes: Buffer, manifest: ImageManifest, digest: string): ImageConfig {
  const config = parseObject(bytes, `config ${manifest.config.digest}`);
  const diffIds = (config.rootfs as { diff_ids?: unknown } | undefined)?.diff_ids;
  if (!Array.isArray(diffIds) || !diffIds.every((id) => typeof id === 'string' && DIGEST.test(id))) {
    throw new Error(`config ${manifest.config.digest} has no rootfs.diff_ids list of sha256 digests`);
  }
  if (diffIds.length !== manifest.layers.length) {
    throw new Error(`image ${digest}: the manifest lists ${manifest.layers.length} layers but the config ${diffIds.length} diff_ids`);
  }
  return config as unknown as ImageConfig;
}
