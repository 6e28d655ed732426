// The content store under $XDG_DATA_HOME/cellblock (chapter 08):
//
//   blobs/sha256/<hex>        manifests, configs and compressed layers, by digest
//   layers/<mode>/<hex>       unpacked layers, by diff_id (the digest of the
//                             uncompressed tar), once per id-map mode: a layer
//                             unpacked with subordinate ids keeps its owners,
//                             one unpacked with a single id has them all as root
//   layer-sums/<mode>/<hex>   what each unpacked layer looked like when it was
//                             unpacked (unpack/survey.ts), for system check
//   refs/<name>               "docker.io/library/busybox:latest" → manifest digest
//   tmp/<pid>-…               work in progress; never read by anything else
//   locks/                    flock(2) files (src/runtime/lock.ts)
//
// Nothing is ever written in place: every file and directory is made under
// tmp/ and renamed into place, and rename(2) is atomic. So a pull killed at
// any instant leaves either the finished thing or nothing a reader would use.
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync, readdirSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isSystemError, systemErrorLine, writeNewFile } from '../runtime/files.js';
import { ensureDir } from '../runtime/paths.js';
import type { UsernsMode } from '../userns/idmap.js';
import { DIGEST, sha256 } from './oci.js';
import type { LayerSurvey } from './unpack/survey.js';

/**
 * Pulls hold this lock shared while they add content that nothing names yet;
 * garbage collection takes it exclusively, so it never sees a pull half-done.
 */
export const STORE_LOCK = 'store';

export class DigestMismatchError extends Error {
  constructor(what: string, expected: string, actual: string) {
    super(`${what}: digest mismatch: expected ${expected}, got ${actual} (the data was corrupted or tampered with; it was not stored)`);
    this.name = 'DigestMismatchError';
  }
}

/**
 * The ref an image without a name is kept under, so that it is listed (as
 * <none>, by its id) and garbage collection keeps it — what docker calls a
 * dangling image. Naming it (tag) drops this ref.
 */
export const untaggedRef = (manifestDigest: string): string => `<none>@${manifestDigest}`;
export const isUntagged = (name: string): boolean => name.startsWith('<none>@');

/** What a layer was when it was unpacked: written before the layer is renamed into place. */
export interface LayerSum {
  diffId: string;
  /** Uncompressed tar bytes. */
  size: number;
  survey: LayerSurvey;
}

const hexOf = (digest: string): string => {
  if (!DIGEST.test(digest)) throw new Error(`"${digest}" is not a sha256 digest`);
  return digest.slice('sha256:'.length);
};

export class Store {
  constructor(readonly root: string) {}

  get locks(): string {
    return join(this.root, 'locks');
  }

  blobPath(digest: string): string {
    return join(this.root, 'blobs', 'sha256', hexOf(digest));
  }

  hasBlob(digest: string): boolean {
    return existsSync(this.blobPath(digest));
  }

  readBlob(digest: string): Buffer {
    return readFileSync(this.blobPath(digest));
  }

  readJson<T>(digest: string): T {
    return JSON.parse(this.readBlob(digest).toString('utf8')) as T;
  }

  /** A fresh name under tmp/, tagged with our pid so a later cleanup knows whether its owner is alive. */
  temporary(label: string): string {
    return join(ensureDir(join(this.root, 'tmp')), `${process.pid}-${label}-${randomBytes(4).toString('hex')}`);
  }

  /** Store BYTES (a manifest or config we already hold) after checking they are DIGEST. */
  putBlob(digest: string, bytes: Buffer): void {
    const actual = sha256(bytes);
    if (actual !== digest) throw new DigestMismatchError(`blob ${digest}`, digest, actual);
    if (this.hasBlob(digest)) return;
    const temporary = this.temporary('blob');
    writeNewFile(temporary, bytes);
    this.commit(temporary, this.blobPath(digest));
  }

  /** Stream SOURCE into the store as DIGEST, hashing as it goes (see stageBlobStream). */
  async putBlobStream(digest: string, source: Readable): Promise<void> {
    this.commit(await this.stageBlobStream(digest, source), this.blobPath(digest));
  }

  /**
   * Stream SOURCE into a file under tmp/, hashing as it goes, and return its
   * path only if its sha256 is DIGEST: the caller then commits it into
   * blobs/ — or deletes it, when something else about it was wrong.
   */
  async stageBlobStream(digest: string, source: Readable): Promise<string> {
    const temporary = this.temporary('blob');
    const hash = createHash('sha256');
    source.on('data', (chunk: Buffer) => hash.update(chunk));
    try {
      await pipeline(source, createWriteStream(temporary));
      // #region exercise: refuse the blob unless the sha256 of what arrived is the digest it was asked for by (a DigestMismatchError)
      const actual = `sha256:${hash.digest('hex')}`;
      if (actual !== digest) throw new DigestMismatchError(`blob ${digest}`, digest, actual);
      // #endregion
      return temporary;
    } catch (error) {
      rmSync(temporary, { force: true });
      // A full disk says which file it could not write: write(…/tmp/…-blob-…): ENOSPC.
      throw isSystemError(error) ? new Error(`blob ${digest}: ${systemErrorLine(error, temporary)}`) : error;
    }
  }

  layerPath(diffId: string, mode: UsernsMode): string {
    return join(this.root, 'layers', mode, hexOf(diffId));
  }

  hasLayer(diffId: string, mode: UsernsMode): boolean {
    return existsSync(this.layerPath(diffId, mode));
  }

  layerSumPath(diffId: string, mode: UsernsMode): string {
    return join(this.root, 'layer-sums', mode, hexOf(diffId));
  }

  /**
   * Record SUM for layer DIFF_ID. Called before the layer itself is renamed
   * into place, so a layer in layers/ always has its sum; a sum whose layer
   * never arrived (a pull killed between the two renames) is garbage that
   * gc removes, and that the next unpack of that layer replaces.
   */
  putLayerSum(mode: UsernsMode, sum: LayerSum): void {
    const temporary = this.temporary('sum');
    writeNewFile(temporary, JSON.stringify(sum) + '\n');
    this.commit(temporary, this.layerSumPath(sum.diffId, mode));
  }

  readLayerSum(diffId: string, mode: UsernsMode): LayerSum | undefined {
    try {
      return JSON.parse(readFileSync(this.layerSumPath(diffId, mode), 'utf8')) as LayerSum;
    } catch {
      return undefined;
    }
  }

  /** Move a finished file or directory from tmp/ to its place. */
  commit(temporary: string, destination: string): void {
    ensureDir(join(destination, '..'));
    renameSync(temporary, destination);
  }

  // — references —

  private refPath(name: string): string {
    return join(this.root, 'refs', encodeURIComponent(name));
  }

  setRef(name: string, manifestDigest: string): void {
    const temporary = this.temporary('ref');
    writeNewFile(temporary, JSON.stringify({ name, digest: manifestDigest }) + '\n');
    this.commit(temporary, this.refPath(name));
    if (!isUntagged(name)) this.removeRef(untaggedRef(manifestDigest));
  }

  getRef(name: string): string | undefined {
    try {
      return (JSON.parse(readFileSync(this.refPath(name), 'utf8')) as { digest: string }).digest;
    } catch {
      return undefined;
    }
  }

  removeRef(name: string): boolean {
    try {
      unlinkSync(this.refPath(name));
      return true;
    } catch {
      return false;
    }
  }

  refs(): { name: string; digest: string }[] {
    const dir = ensureDir(join(this.root, 'refs'));
    return readdirSync(dir).flatMap((file) => {
      try {
        return [JSON.parse(readFileSync(join(dir, file), 'utf8')) as { name: string; digest: string }];
      } catch {
        return [];
      }
    });
  }

  /** tmp/ entries left by cellblock processes that no longer exist (a killed pull). */
  staleTemporaries(): string[] {
    const dir = ensureDir(join(this.root, 'tmp'));
    return readdirSync(dir)
      .filter((entry) => {
        const pid = Number(entry.split('-')[0]);
        return !(Number.isInteger(pid) && existsSync(`/proc/${pid}`));
      })
      .map((entry) => join(dir, entry));
  }
}
