// `cellblock system check`: is everything in the store what it claims to be?
//
// The store is written so that a crash leaves nothing half-done in place
// (store.ts: temp + rename). What that cannot guard against is what happens
// afterwards, outside cellblock: a disk that rots a byte, a file truncated by
// hand, an `rm` in the wrong directory, a process killed before it cleaned
// up tmp/. So each kind of thing is checked against what names it:
//
//   blobs       each file hashed (streamed) against the digest that is its name
//   layers      each unpacked layer surveyed again (unpack/survey.ts) and
//               compared with the sum written when it was unpacked
//   refs        each name's manifest (and config) still there and intact
//   tmp/        entries whose process no longer runs
//   containers  each record's image manifest and layers still there
//
// A Problem is one line to show and a repair to run. Repairs remove what is
// broken, and the things that then no longer make sense: a corrupt layer
// blob goes (the next pull fetches it again); a corrupt unpacked layer goes
// and is unpacked again at once from its blob when that is intact, so the
// containers standing on it keep working.
import { createReadStream, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { isSystemError, readdirOrEmpty, systemErrorLine } from '../runtime/files.js';
import { isAlive, listRecords, type ContainerRecord } from '../runtime/records.js';
import { removeContainer } from '../runtime/remove.js';
import { planIdMap, USERNS_MODES, type UsernsMode } from '../userns/idmap.js';
import type { Descriptor, ImageConfig, ImageManifest } from './oci.js';
import { ensureLayer } from './pull.js';
import type { Store } from './store.js';
import { inNewUserNamespace, removeTree, runUnpacker } from './unpack.js';
import type { LayerSurvey } from './unpack/survey.js';

export interface Problem {
  /** What is wrong, one line. */
  line: string;
  /** Put it right (by removing what is broken); resolves with one line saying what was done. */
  repair: () => Promise<string>;
}

/** Every problem in STORE, in the order they should be repaired. The caller holds the store lock exclusively. */
export async function checkStore(store: Store): Promise<Problem[]> {
  // Blobs first: what is found corrupt there counts as missing for the refs
  // and containers that need it, so that one --repair leaves nothing dangling.
  const corrupt = new Set<string>();
  const problems = await checkBlobs(store, corrupt);
  const present = (digest: string) => store.hasBlob(digest) && !corrupt.has(digest);
  problems.push(...await checkLayers(store, present));
  problems.push(...checkRefs(store, present));
  problems.push(...checkTemporaries(store));
  problems.push(...checkContainers(store, present));
  return problems;
}

// — blobs —

async function checkBlobs(store: Store, corrupt: Set<string>): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const hex of readdirOrEmpty(join(store.root, 'blobs', 'sha256'))) {
    const digest = `sha256:${hex}`;
    const path = store.blobPath(digest);
    let actual: string;
    try {
      actual = await hashFile(path);
    } catch (error) {
      actual = isSystemError(error) ? systemErrorLine(error, path) : (error as Error).message;
    }
    if (actual === digest) continue;
    corrupt.add(digest);
    problems.push({
      line: actual.startsWith('sha256:') ? `blob ${digest}: corrupt: its content hashes to ${actual}` : `blob ${digest}: cannot be read: ${actual}`,
      repair: async () => {
        rmSync(path, { force: true });
        return `removed blob ${digest} (a pull fetches it again)`;
      },
    });
  }
  return problems;
}

/** sha256 of the file at PATH, read as a stream: a layer blob of gigabytes costs no more memory than a small one. */
async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return `sha256:${hash.digest('hex')}`;
}

// — unpacked layers —

async function checkLayers(store: Store, blobPresent: (digest: string) => boolean): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const mode of USERNS_MODES) {
    const diffIds = readdirOrEmpty(join(store.root, 'layers', mode)).map((hex) => `sha256:${hex}`);
    const summed = diffIds.filter((diffId) => store.readLayerSum(diffId, mode) !== undefined);
    const surveys = await surveyLayers(summed.map((diffId) => store.layerPath(diffId, mode)), mode);
    for (const diffId of diffIds) {
      const sum = store.readLayerSum(diffId, mode);
      const index = summed.indexOf(diffId);
      const difference = sum === undefined ? 'no record of what it was when unpacked (an older cellblock unpacked it)'
        : sum.diffId !== diffId ? `its record is for another layer (${sum.diffId})`
          : describeDifference(sum.survey, surveys[index]);
      if (difference === undefined) continue;
      problems.push({
        line: `layer ${diffId} (${mode}): ${difference}`,
        repair: () => replaceLayer(store, diffId, mode, blobPresent),
      });
    }
  }
  return problems;
}

/** The surveys of PATHS, taken in one unpacker in a user namespace of MODE (only it can read every directory). */
async function surveyLayers(paths: string[], mode: UsernsMode): Promise<(LayerSurvey | null)[]> {
  if (paths.length === 0) return [];
  const report = await runUnpacker({ kind: 'survey', paths }, inNewUserNamespace(planIdMap(mode)), 'system check');
  if (report.type !== 'surveyed') throw new Error(`system check: the unpacker answered "${report.type}"`);
  return report.surveys;
}

/** How NOW differs from THEN, in a few words; undefined when it does not. */
function describeDifference(then: LayerSurvey, now: LayerSurvey | null): string | undefined {
  if (now === null) return 'vanished while it was checked';
  if (now.tree === then.tree) return undefined;
  const shape = (s: LayerSurvey) => `${s.entries} entries, ${s.bytes} bytes of files`;
  const what = now.entries === then.entries && now.bytes === then.bytes ? 'the same counts, but names, types, modes or owners differ' : `${shape(now)}`;
  return `changed since it was unpacked (then ${shape(then)}; now ${what})`;
}

/**
 * Remove layer DIFF_ID and its sum; then unpack it again from its blob,
 * when the blob is intact and an image in the store says how it is
 * compressed. Otherwise the next pull (or run) fetches it.
 */
async function replaceLayer(store: Store, diffId: string, mode: UsernsMode, blobPresent: (digest: string) => boolean): Promise<string> {
  const idMap = planIdMap(mode);
  await removeTree(store.layerPath(diffId, mode), idMap);
  rmSync(store.layerSumPath(diffId, mode), { force: true });
  const removed = `removed layer ${diffId} (${mode})`;
  const descriptor = layerDescriptor(store, diffId);
  if (!descriptor || !blobPresent(descriptor.digest)) return `${removed} (a pull fetches it again)`;
  await ensureLayer(store, descriptor, diffId, idMap, () => {}, () => {
    throw new Error(`layer ${descriptor.digest} vanished from the store`);
  });
  return `${removed} and unpacked it again from blob ${descriptor.digest}`;
}

/** The manifest entry of layer DIFF_ID in some image the store names or a container uses. */
function layerDescriptor(store: Store, diffId: string): Descriptor | undefined {
  for (const digest of usedManifests(store)) {
    try {
      const manifest = store.readJson<ImageManifest>(digest);
      const index = store.readJson<ImageConfig>(manifest.config.digest).rootfs.diff_ids.indexOf(diffId);
      if (index !== -1 && manifest.layers[index]) return manifest.layers[index];
    } catch {
      // Not readable: that image is reported as a problem of its own.
    }
  }
  return undefined;
}

const usedManifests = (store: Store): Set<string> =>
  new Set([...store.refs().map((ref) => ref.digest), ...listRecords().flatMap((r) => (r.imageManifest ? [r.imageManifest] : []))]);

// — names —

function checkRefs(store: Store, blobPresent: (digest: string) => boolean): Problem[] {
  return store.refs().flatMap(({ name, digest }) => {
    const missing = missingImagePart(store, digest, blobPresent);
    if (!missing) return [];
    return [{
      line: `name ${name}: its ${missing} is missing or corrupt`,
      repair: async () => {
        store.removeRef(name);
        return `removed name ${name} (pull it again)`;
      },
    }];
  });
}

/** "manifest sha256:…" or "config sha256:…" when one of them is not in the store intact; undefined when both are. */
function missingImagePart(store: Store, manifestDigest: string, blobPresent: (digest: string) => boolean): string | undefined {
  if (!blobPresent(manifestDigest)) return `manifest ${manifestDigest}`;
  let config: string;
  try {
    config = store.readJson<ImageManifest>(manifestDigest).config.digest;
  } catch {
    return `manifest ${manifestDigest}`;
  }
  return blobPresent(config) ? undefined : `config ${config}`;
}

// — tmp/ —

function checkTemporaries(store: Store): Problem[] {
  return store.staleTemporaries().map((path) => ({
    line: `tmp/${basename(path)}: left by cellblock process ${basename(path).split('-')[0]}, which no longer runs`,
    repair: async () => {
      // A half-unpacked layer holds files of subordinate ids: removeTree can delete them.
      await removeTree(path, planIdMap(undefined));
      return `removed tmp/${basename(path)}`;
    },
  }));
}

// — containers —

function checkContainers(store: Store, blobPresent: (digest: string) => boolean): Problem[] {
  return listRecords().flatMap((record) => {
    const missing = missingContainerPart(store, record, blobPresent);
    if (!missing) return [];
    return [{
      line: `container ${record.name} (${record.id.slice(0, 12)}): its image's ${missing} is gone`,
      repair: async () => {
        // A running container has its layers mounted already; stopping it is its owner's call.
        if (isAlive(record)) return `left container ${record.name} as it is: it is running (stop and remove it)`;
        await removeContainer(record);
        return `removed container ${record.name} (it could not be started again)`;
      },
    }];
  });
}

function missingContainerPart(store: Store, record: ContainerRecord, blobPresent: (digest: string) => boolean): string | undefined {
  const overlay = record.spec.overlay;
  const layer = overlay?.lower.find((name) => !readdirOrEmpty(overlay.layersDir).includes(name));
  if (overlay && layer) return `layer sha256:${layer}`;
  return record.imageManifest ? missingImagePart(store, record.imageManifest, blobPresent) : undefined;
}
