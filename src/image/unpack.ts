// Unpacking an image layer into a directory that overlayfs can stack, as an
// ordinary user, with the files' owners kept — the parent's side.
//
// Owners are the hard part. A layer's files belong to root, to uid 1000, to
// www-data…; an unprivileged process may not chown(2) anything to anyone.
// Root of a user namespace may, to any id the namespace maps. So the untar
// runs in a process of its own inside a new user namespace, mapped exactly
// like a container's (src/userns/idmap.ts): with /etc/subuid ranges, tar uid
// 1000 lands on disk as host uid 100999, which is uid 1000 again in every
// container started with the same map.
//
//   setpriv --pdeathsig KILL     if cellblock dies, the unpacker dies too
//   unshare --user --keep-caps   a user namespace (no other: ids are all it needs),
//                                keeping its capabilities across exec (as the init does)
//           node dist/image/unpack-main.js
//
// The layer's bytes go to its stdin as they arrive; it decompresses, hashes
// and untars them (src/image/unpack/untar.ts) and reports the diff_id.
//
// The same worker does the other jobs that need a namespace's ids (remove
// here; pack for commit, copy for cp): runUnpacker starts it for each, in a
// new user namespace or — for a running container — in the container's own.
import { chmodSync, lstatSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { IdMapPlan } from '../userns/idmap.js';
import { converse, describeEnd, spawnInNamespaces } from '../userns/spawn.js';
import { layerSizeLimit } from './validate.js';
import { compressionOf } from './unpack/compression.js';
import type { UnpackerJob, UnpackerMessage, UnpackerOrder } from './unpack/protocol.js';
import type { LayerSurvey } from './unpack/survey.js';

const UNPACKER = fileURLToPath(new URL('./unpack-main.js', import.meta.url));

/** setpriv's arguments for an unpacker in a new user namespace (and EXTRA_NAMESPACES, unshare's options for more). */
export function unpackerArgs(extraNamespaces: string[] = []): string[] {
  return ['--pdeathsig', 'KILL', '--', 'unshare', '--user', '--keep-caps', ...extraNamespaces, '--', process.execPath, UNPACKER];
}

/**
 * How an unpacker gets into its namespaces: setpriv's arguments, ending in
 * `node dist/image/unpack-main.js`, and the id maps to write when it says
 * "ready" — none when it joined a namespace that has them (nsenter).
 */
export interface UnpackerEntry {
  setprivArgs: string[];
  idMap?: IdMapPlan;
}

/** A new user namespace with IDMAP, as for unpacking a layer. */
export const inNewUserNamespace = (idMap: IdMapPlan, extraNamespaces: string[] = []): UnpackerEntry => ({ setprivArgs: unpackerArgs(extraNamespaces), idMap });

/**
 * The user namespace of process PID, which has its maps already. Its root
 * is you: nsenter keeps your uid (--preserve-credentials), which that
 * namespace maps to 0, so Node starts as its root with all its
 * capabilities. (Without the option nsenter would setgroups(), which a
 * namespace mapped with "setgroups deny" refuses.)
 */
export const inUserNamespaceOf = (pid: number): UnpackerEntry => ({
  setprivArgs: ['--pdeathsig', 'KILL', '--', 'nsenter', '--target', String(pid), '--user', '--preserve-credentials', '--', process.execPath, UNPACKER],
});

export interface UnpackResult {
  /** sha256:… of the uncompressed tar: the image config's rootfs.diff_ids entry for this layer. */
  diffId: string;
  /** Uncompressed bytes. */
  size: number;
  /** One line each, for the user: device nodes skipped, owners flattened, attributes refused. */
  notices: string[];
  /** Its metadata fingerprint (unpack/survey.ts), kept beside it for system check. */
  survey: LayerSurvey;
}

export interface UnpackOptions {
  /** How messages name the layer, e.g. its blob digest: `layer sha256:…: entry "../x" escapes …`. */
  name?: string;
}

/**
 * Unpack the layer arriving on LAYER (compressed as MEDIA_TYPE says) into
 * TARGET, which must not exist and is created. Rejects with a one-line error
 * — or with LAYER's own error, when the caller destroyed it with one — and
 * then nothing is left at TARGET. On failure LAYER is destroyed: nothing
 * will read the rest of it.
 */
export async function unpackLayer(
  layer: Readable, mediaType: string, target: string, idMap: IdMapPlan, options: UnpackOptions = {},
): Promise<UnpackResult> {
  const label = options.name ? `layer ${options.name}` : 'layer';
  let compression;
  try {
    compression = compressionOf(mediaType);
  } catch (error) {
    throw new Error(`${label}: ${(error as Error).message}`);
  }
  const root = resolve(target);
  try {
    // 0700 until the unpacker has finished with it (it sets 0755, or the tar's "./").
    mkdirSync(root, { mode: 0o700 });
  } catch (error) {
    throw new Error(`${label}: cannot create ${root}: ${(error as NodeJS.ErrnoException).code}`);
  }
  try {
    const job = { kind: 'unpack', target: root, compression, mode: idMap.mode, label, limit: layerSizeLimit() } as const;
    const report = await runUnpacker(job, inNewUserNamespace(idMap), label, { input: layer });
    if (report.type !== 'unpacked') throw new Error(`${label}: the unpacker answered "${report.type}"`);
    return { diffId: report.diffId, size: report.size, notices: report.notices, survey: report.survey };
  } catch (error) {
    if (!layer.readableEnded) layer.destroy();
    // Files in a half layer may belong to subordinate ids: only removeTree can delete them.
    await removeTree(root, idMap).catch((removal: Error) => {
      if (error instanceof Error) error.message += ` (and the partial layer was not removed: ${removal.message})`;
    });
    throw error;
  }
}

/**
 * rm -rf PATH, where PATH may hold files owned by subordinate ids and
 * directories with mode 0000 that you cannot delete from outside: it runs
 * in the same kind of user namespace as the unpacker (src/image/unpack/remove.ts).
 * Nothing to do when PATH does not exist.
 */
export async function removeTree(path: string, idMap: IdMapPlan): Promise<void> {
  const root = resolve(path);
  if (root === '/') throw new Error('removeTree: refusing to remove /');
  if (!lstatSync(root, { throwIfNoEntry: false })) return;
  if (removeOwnTree(root)) return;
  await runUnpacker({ kind: 'remove', path: root }, inNewUserNamespace(idMap), `cannot remove ${root}`);
}

/**
 * The quick way, when every directory in the tree is ours — a container that
 * wrote nothing, or wrote only as its root: no user namespace is needed, just
 * directories made readable again (overlayfs leaves its work/work with mode
 * 0). Returns false, having changed only modes of our own directories, when
 * some directory belongs to another id.
 */
function removeOwnTree(root: string): boolean {
  const accessible = (path: string): boolean => {
    const stat = lstatSync(path);
    if (!stat.isDirectory()) return true; // a file of any owner goes with write access to its directory
    if (stat.uid !== process.getuid!()) return false;
    if ((stat.mode & 0o700) !== 0o700) chmodSync(path, (stat.mode & 0o7777) | 0o700);
    return readdirSync(path).every((name) => accessible(join(path, name)));
  };
  try {
    if (!accessible(root)) return false;
    rmSync(root, { recursive: true, force: true });
    return true;
  } catch {
    return false;
  }
}

export type UnpackerReport = Extract<UnpackerMessage, { type: 'unpacked' | 'removed' | 'surveyed' | 'packed' | 'copied' }>;

export interface UnpackerIo {
  /** Bytes for its stdin; 'inherit' gives it ours (cp - CONTAINER:DIR). */
  input?: Readable | 'inherit';
  /** Its stdout: 'inherit' gives it ours (cp CONTAINER:PATH -); a function reads it, resolving when done. */
  output?: 'inherit' | ((stdout: Readable) => Promise<void>);
}

/**
 * Start an unpacker as ENTRY says, map its ids, give it JOB (and IO's
 * input), and wait for its report. LABEL begins every error message.
 */
export async function runUnpacker(job: UnpackerJob, entry: UnpackerEntry, label: string, io: UnpackerIo = {}): Promise<UnpackerReport> {
  const { input, output } = io;
  const child = spawnInNamespaces<UnpackerMessage, UnpackerOrder>(entry.setprivArgs, {
    // fd 0 the layer's bytes; fd 1 a tar it writes; fd 2 a pipe to us (what
    // unshare or Node say when they fail); fd 3 the sync pipe.
    stdio: [input === 'inherit' ? 'inherit' : input ? 'pipe' : 'ignore', output === 'inherit' ? 'inherit' : output ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    // Our process group: a Ctrl-C on the terminal stops it with cellblock.
    detached: false,
  });
  let inputFailure: Error | undefined;
  if (input && input !== 'inherit') {
    feed(input, child.process.stdin!, (error) => {
      inputFailure ??= error;
      void child.abort();
    });
  }
  // The reader of its output gave up: stop the unpacker at once (it would
  // only report the broken pipe), and say the reader's reason.
  let callerFailure: Error | undefined;
  const stop = (error: unknown) => {
    callerFailure ??= error as Error;
    void child.abort();
  };
  const reading = typeof output === 'function' ? output(child.process.stdout!).catch(stop) : undefined;
  let report: UnpackerReport | undefined;
  let failure: string | undefined;
  let setupFailure: Error | undefined;
  try {
    for await (const message of converse(child, entry.idMap, { type: 'go', job })) {
      if (message.type === 'error') failure = message.message;
      else report = message;
    }
  } catch (error) {
    setupFailure = error as Error; // the id maps could not be written
  }
  const [end, diagnostics] = await Promise.all([child.ended, child.diagnostics, reading]);
  // The caller's own error (a digest mismatch, say) explains whatever else went wrong.
  if (inputFailure) throw inputFailure;
  if (setupFailure) throw new Error(`${label}: ${setupFailure.message}`);
  if ('error' in end) throw new Error(`${label}: ${describeEnd(end, diagnostics)}`);
  // The unpacker's failure explains a tar that ended too soon for the reader of its output.
  if (failure !== undefined) throw new Error(`${label}: ${firstLine(failure)}`);
  if (callerFailure) throw callerFailure;
  if (!report) throw new Error(`${label}: the unpacker ended before finishing: ${describeEnd(end, diagnostics)}`);
  return report;
}

/**
 * INPUT → STDIN, with backpressure (pipe() pauses INPUT while the unpacker
 * is busy). ON_FAILURE hears about INPUT failing or being destroyed before
 * its end; a failing STDIN (EPIPE: the unpacker stopped reading) is left to
 * the unpacker's own report.
 */
function feed(input: Readable, stdin: Writable, onFailure: (error: Error) => void): void {
  stdin.on('error', () => {});
  input.on('error', onFailure);
  input.on('close', () => {
    if (!input.readableEnded) onFailure(input.errored ?? new Error('the layer stream was closed before its end'));
  });
  input.pipe(stdin);
}

function firstLine(text: string): string {
  return text.split('\n')[0];
}
