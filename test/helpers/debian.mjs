// A real distribution as a test image: Debian 12 from `debootstrap
// --variant=minbase` (apt, dpkg, bash, coreutils — about 6,000 files where the
// busybox images have one binary), turned into an OCI image layout with umoci
// the way test/helpers/images.mjs builds its busybox images:
//
//   umoci init --layout L; umoci new --image L:bookworm; umoci unpack --image L:bookworm B
//   debootstrap --variant=minbase bookworm B/rootfs MIRROR
//   umoci repack --image L:bookworm B; umoci config --image L:bookworm --config.cmd bash
//
// debootstrap takes half a minute here and downloads ~40 MB, so the layout is built once
// and kept across runs in a cache directory, keyed by the suite and
// RECIPE_VERSION (bump it when the recipe below changes and old caches must
// not be used). debootstrap needs root (it chroots into the new tree and runs
// dpkg there), so a caller that is not root gets { skip: reason } unless the
// cache is already there.
//
//   const debian = await pushDebian(registry, 'test/debian');
//   if (debian.skip) t.skip(debian.skip);
//   // debian.reference, debian.debianVersion ("12.x"), debian.owned: a file with ids ≠ 0
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { withLock } from '../../dist/runtime/lock.js';
import { newImage, push, repack, umoci } from './images.mjs';

const SUITE = 'bookworm';
const RECIPE_VERSION = 'minbase-v1';
const KEY = `debian-${SUITE}-${RECIPE_VERSION}`;
const TAG = SUITE;
const DEBOOTSTRAP = '/usr/sbin/debootstrap';
const DEBOOTSTRAP_TIMEOUT_MS = 15 * 60_000;
const MIRROR_TIMEOUT_MS = 10_000;
const DEFAULT_MIRROR = 'http://deb.debian.org/debian';

const isRoot = process.getuid() === 0;

/** Where built images are kept between runs: shared by root's runs, per user otherwise. */
export function cacheDir() {
  if (isRoot) return '/var/tmp/cellblock-test-cache';
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'cellblock-test');
}

let pending;

/**
 * The cached OCI layout, built first if needed (once per process, and one
 * process at a time across processes):
 * { layout, tag, cached, suite, mirror, debianVersion, buildSeconds, rootfsBytes, layerBytes,
 *   owned: { path, uid, gid, mode } } — or { skip: reason } when it cannot be built here.
 */
export function debianLayout() {
  return (pending ??= locate());
}

/** Push the Debian image to REGISTRY as NAME:latest → { reference, digest, ...debianLayout() }, or { skip }. */
export async function pushDebian(registry, name) {
  const debian = await debianLayout();
  if (debian.skip) return debian;
  return { ...debian, ...(await push(debian.tag, registry, name, { layout: debian.layout })) };
}

async function locate() {
  const cache = ownCacheDir();
  const final = join(cache, KEY);
  const found = readCached(final);
  if (found) return found;
  if (!isRoot) return { skip: `SKIP: no cached Debian image in ${final}, and debootstrap needs root to build one (run the tests as root, as .ci/run does)` };
  if (!existsSync(DEBOOTSTRAP)) return { skip: `SKIP: ${DEBOOTSTRAP} not found (apt-get install debootstrap)` };
  // flock(2) via cellblock's own lock: the kernel drops it if the holder dies,
  // so a build killed halfway never leaves a lock behind. Whoever waited here
  // finds the finished image when it gets the lock.
  return withLock(join(cache, 'locks'), `${KEY}.lock`, async () => readCached(final) ?? build(cache, final));
}

/**
 * The cache directory, made if missing. /var/tmp is writable by everyone, so
 * a directory someone else made there (or can write to) could hold an image
 * they planted: refuse it rather than test with it.
 */
function ownCacheDir() {
  const cache = cacheDir();
  mkdirSync(cache, { recursive: true, mode: 0o755 });
  const stat = lstatSync(cache);
  if (!stat.isDirectory() || stat.uid !== process.getuid() || (stat.mode & 0o022) !== 0) {
    throw new Error(`${cache} is not a directory that only uid ${process.getuid()} can write to: remove it (it is only a cache)`);
  }
  return cache;
}

function readCached(final) {
  try {
    return { ...JSON.parse(readFileSync(join(final, 'image.json'), 'utf8')), layout: join(final, 'layout'), tag: TAG, cached: true };
  } catch {
    return undefined; // not built yet: image.json is the last thing a build writes before the rename
  }
}

async function build(cache, final) {
  const mirror = debianMirror();
  const unreachable = await mirrorProblem(mirror);
  if (unreachable) return { skip: `SKIP: the Debian mirror ${mirror} is unreachable (${unreachable}); set CELLBLOCK_DEBIAN_MIRROR to another` };

  // We hold the lock: a KEY.tmp-* left here is from a build that died. Build
  // in a fresh one and rename it into place at the end, so a reader sees the
  // whole image or none.
  for (const entry of readdirSync(cache)) if (entry.startsWith(`${KEY}.tmp-`)) rmSync(join(cache, entry), { recursive: true, force: true });
  const work = join(cache, `${KEY}.tmp-${process.pid}`);
  mkdirSync(work);
  try {
    const started = performance.now();
    const layout = join(work, 'layout');
    await umoci('init', '--layout', layout);
    const bundle = await newImage(TAG, { layout, bundle: join(work, 'bundle') });
    const rootfs = join(bundle, 'rootfs');
    const debootstrapStarted = performance.now();
    await debootstrap(rootfs, mirror);
    const debootstrapSeconds = (performance.now() - debootstrapStarted) / 1000;
    trim(rootfs);
    const info = {
      suite: SUITE,
      mirror,
      debianVersion: readFileSync(join(rootfs, 'etc/debian_version'), 'utf8').trim(),
      owned: ownedByOthers(rootfs),
      rootfsBytes: treeBytes(rootfs),
    };
    await repack(TAG, bundle, `debootstrap --variant=minbase ${SUITE} ${mirror}`, layout);
    await umoci('config', '--image', `${layout}:${TAG}`, '--config.cmd', 'bash');
    info.layerBytes = layerBytes(layout);
    info.buildSeconds = Number(((performance.now() - started) / 1000).toFixed(1));
    info.builtAt = new Date().toISOString();
    writeFileSync(join(work, 'image.json'), JSON.stringify(info, null, 2) + '\n');
    renameSync(work, final);
    process.stderr.write(`debian image: built ${SUITE} (${mb(info.rootfsBytes)} unpacked, ${mb(info.layerBytes)} layer) in ${info.buildSeconds} s `
      + `(debootstrap ${debootstrapSeconds.toFixed(1)} s), cached in ${final}\n`);
    return { ...info, layout: join(final, 'layout'), tag: TAG, cached: false };
  } catch (error) {
    rmSync(work, { recursive: true, force: true });
    throw error;
  }
}

const mb = (bytes) => `${(bytes / 1e6).toFixed(0)} MB`;

/** CELLBLOCK_DEBIAN_MIRROR, else the host's own apt mirror for SUITE (the one apt already uses), else deb.debian.org. */
export function debianMirror() {
  if (process.env.CELLBLOCK_DEBIAN_MIRROR) return process.env.CELLBLOCK_DEBIAN_MIRROR;
  const sourcesDir = '/etc/apt/sources.list.d';
  const files = existsSync(sourcesDir) ? readdirSync(sourcesDir).map((f) => join(sourcesDir, f)) : [];
  for (const file of ['/etc/apt/sources.list', ...files]) {
    let text;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const mirror = file.endsWith('.sources') ? fromDeb822(text) : fromOneLine(text);
    if (mirror) return mirror.replace(/\/+$/, '');
  }
  return DEFAULT_MIRROR;
}

// deb822 (Debian 12's default): stanzas of "URIs: …", "Suites: bookworm bookworm-updates".
function fromDeb822(text) {
  for (const stanza of text.split(/\n\s*\n/)) {
    const field = (name) => new RegExp(`^${name}:\\s*(.+)$`, 'mi').exec(stanza)?.[1].trim().split(/\s+/) ?? [];
    if (field('Types').includes('deb') && field('Suites').includes(SUITE)) return field('URIs')[0];
  }
  return undefined;
}

// The one-line format: "deb [options] URI bookworm main".
function fromOneLine(text) {
  for (const line of text.split('\n')) {
    const words = line.replace(/\[[^\]]*\]/, '').trim().split(/\s+/);
    if (words[0] === 'deb' && words[2] === SUITE) return words[1];
  }
  return undefined;
}

/** Why MIRROR cannot serve SUITE (a short reason), or undefined when it can. */
async function mirrorProblem(mirror) {
  try {
    const response = await fetch(`${mirror}/dists/${SUITE}/Release`, { method: 'HEAD', signal: AbortSignal.timeout(MIRROR_TIMEOUT_MS) });
    return response.ok ? undefined : `HTTP ${response.status} for dists/${SUITE}/Release`;
  } catch (error) {
    return error.name === 'TimeoutError' ? `no answer in ${MIRROR_TIMEOUT_MS / 1000} s` : error.cause?.code ?? error.cause?.message ?? error.message;
  }
}

/**
 * Run debootstrap, bounded. It mounts /proc and /sys inside the new tree and
 * unmounts them only if it ends normally; in a mount namespace of its own
 * (`unshare --mount`) those mounts vanish with it however it ends, so removing
 * a half-built tree can never reach into the host's /proc or /sys. Its own
 * process group lets a timeout kill dpkg and everything else it started.
 */
function debootstrap(rootfs, mirror) {
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', 'unshare', '--mount', DEBOOTSTRAP, '--variant=minbase', SUITE, rootfs, mirror],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const killGroup = () => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  process.on('exit', killGroup);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      killGroup();
      reject(new Error(`debootstrap did not finish within ${DEBOOTSTRAP_TIMEOUT_MS / 60_000} min; last output: ${output.trim().split('\n').at(-1)}`));
    }, DEBOOTSTRAP_TIMEOUT_MS);
    child.on('error', (error) => reject(new Error(`cannot start debootstrap: ${error.message}`)));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      process.off('exit', killGroup);
      if (code === 0) resolve();
      else reject(new Error(`debootstrap --variant=minbase ${SUITE} ${mirror}: exit ${code ?? signal}: ${output.trim().split('\n').slice(-3).join(' | ')}`));
    });
  });
}

/**
 * What an image does not carry (Docker Hub's debian images leave out the same):
 * - the device nodes debootstrap made in /dev: a runtime mounts its own /dev,
 *   and a user namespace may not create devices (cellblock skips them, with a notice);
 * - apt's download cache (.debs and package lists, ~80 of ~210 MB): data of
 *   the build, not of the system; `apt-get update` fetches fresh lists.
 * The `partial` directories and lock files stay, as apt expects them.
 */
function trim(rootfs) {
  const empty = (dir, keep = []) => {
    for (const entry of readdirSync(join(rootfs, dir))) {
      if (!keep.includes(entry)) rmSync(join(rootfs, dir, entry), { recursive: true, force: true });
    }
  };
  empty('dev');
  empty('var/cache/apt/archives', ['partial', 'lock']);
  empty('var/lib/apt/lists', ['partial', 'lock']);
  rmSync(join(rootfs, 'var/cache/apt/pkgcache.bin'), { force: true });
  rmSync(join(rootfs, 'var/cache/apt/srcpkgcache.bin'), { force: true });
}

/**
 * A file whose owner (preferred) or group is not 0, to check that ids survive
 * pull and unpack. minbase has no file owned by a user other than root, but
 * several owned by groups: /etc/shadow and /etc/gshadow (shadow, 42), the
 * setgid chage and expiry (shadow), /var/log/wtmp (utmp, 43), /var/mail (mail, 8).
 */
function ownedByOthers(rootfs) {
  const entries = [];
  const walk = (rel) => {
    for (const name of readdirSync(join(rootfs, rel)).sort()) {
      const path = rel ? `${rel}/${name}` : name;
      const stat = lstatSync(join(rootfs, path));
      if (stat.uid !== 0 || stat.gid !== 0) entries.push({ path: `/${path}`, uid: stat.uid, gid: stat.gid, mode: (stat.mode & 0o7777).toString(8) });
      if (stat.isDirectory()) walk(path);
    }
  };
  walk('');
  const chosen = entries.find((e) => e.uid !== 0) ?? entries[0];
  if (!chosen) throw new Error(`every file in ${rootfs} is owned by 0:0: the ownership check has nothing to look at`);
  return chosen;
}

function treeBytes(dir) {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const stat = lstatSync(join(dir, name));
    total += stat.isDirectory() ? treeBytes(join(dir, name)) : stat.size;
  }
  return total;
}

/** The compressed size of the image's layers: what a pull downloads. */
function layerBytes(layout) {
  const blob = (digest) => JSON.parse(readFileSync(join(layout, 'blobs/sha256', digest.slice('sha256:'.length)), 'utf8'));
  const [descriptor] = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')).manifests;
  return blob(descriptor.digest).layers.reduce((sum, layer) => sum + layer.size, 0);
}

