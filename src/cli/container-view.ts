// What `ps` and `inspect` show of a container besides its record: the image
// it ran (id and labels, from the image store) and its mounts.
import { imageId, loadImage, openStore } from '../image/local.js';
import type { ContainerRecord } from '../runtime/records.js';

export interface ImageView {
  /** docker's image id: the digest of the image's config. */
  id: string;
  /** docker copies the image's labels into every container made from it. */
  labels: Record<string, string>;
}

/**
 * The image RECORD ran, read from the store; an image removed since (rmi -f)
 * leaves the manifest digest the record kept, and no labels. A --rootfs
 * container has no image: "" and no labels.
 */
export function imageOf(record: ContainerRecord): ImageView {
  if (!record.image || !record.imageManifest) return { id: '', labels: {} };
  try {
    const image = loadImage(openStore(), record.image, record.imageManifest);
    return { id: imageId(image), labels: image.config.config?.Labels ?? {} };
  } catch {
    return { id: record.imageManifest, labels: {} };
  }
}

/** One entry of inspect's Mounts, docker's shape. */
export interface MountView {
  Type: 'bind' | 'volume' | 'tmpfs';
  Name?: string;
  Source: string;
  Destination: string;
  Driver?: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
}

/**
 * The fields of spec.mounts (-v, --mount, --tmpfs) that are shown. Records
 * of containers made before volumes existed have no such field.
 */
interface MountFields {
  type: 'bind' | 'volume' | 'tmpfs';
  name?: string;
  source?: string;
  target: string;
  readOnly: boolean;
}

/** RECORD's mounts as docker inspect lists them. */
export function mountsOf(record: ContainerRecord): MountView[] {
  const mounts = (record.spec as { mounts?: MountFields[] }).mounts ?? [];
  return mounts.map((m) => ({
    Type: m.type,
    ...(m.type === 'volume' ? { Name: m.name ?? '' } : {}),
    Source: m.source ?? '',
    Destination: m.target,
    ...(m.type === 'volume' ? { Driver: 'local' } : {}),
    Mode: m.readOnly ? 'ro' : '',
    RW: !m.readOnly,
    // cellblock makes every mount in the container private (mount --make-rprivate /).
    Propagation: m.type === 'bind' ? 'rprivate' : '',
  }));
}
