// Test images, built offline from the host's busybox and pushed to a test
// registry (test/helpers/registry.mjs) the way a person would do it by hand:
//
//   umoci init --layout L                      # an empty OCI image layout (a directory)
//   umoci new --image L:t                      # an image with no layers
//   umoci unpack --image L:t BUNDLE            # its (empty) root filesystem in BUNDLE/rootfs
//   …put files in BUNDLE/rootfs…
//   umoci repack --image L:t BUNDLE            # the difference becomes a new layer
//   umoci config --image L:t --config.cmd sh   # the image config (Cmd, Env, User…)
//   skopeo copy --dest-tls-verify=false oci:L:t docker://HOST/NAME:TAG
//
// Some layers must contain entries that only a hand-written tar has (an opaque
// directory, a hardlink, a file owned by 1000:1000 when we are not root): those
// are made with GNU tar and added verbatim with `umoci raw add-layer`.
//
// Each image is built once per test process into one layout, then pushed as
// often as asked. As root, umoci keeps real ownership; as anyone else it runs
// with --rootless (files it cannot chown are recorded as owned by 0:0).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildBusyboxRootfs } from '../../scripts/lib/rootfs.mjs';

const execFileAsync = promisify(execFile);
const ROOTLESS = process.getuid() !== 0 ? ['--rootless'] : [];
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const REF_NAME = 'org.opencontainers.image.ref.name';
// A fixed time for every tar entry: the same layer bytes (and digests) on every run.
const MTIME = '--mtime=@1704067200';

let workDir;
const built = new Map();
let queue = Promise.resolve();

/** The directory everything is built in; removed when the process exits. */
function work() {
  if (!workDir) {
    workDir = mkdtempSync(join(tmpdir(), 'cellblock-images-'));
    process.on('exit', () => rmSync(workDir, { recursive: true, force: true }));
  }
  return workDir;
}

const layout = () => join(work(), 'layout');

/**
 * Build a tag once: callers share one promise. Builds run one at a time, as
 * each rewrites the layout's index.json.
 */
function once(tag, build) {
  if (!built.has(tag)) {
    const result = queue.then(build);
    queue = result.catch(() => {});
    built.set(tag, result);
  }
  return built.get(tag);
}

async function run(file, args) {
  try {
    return (await execFileAsync(file, args, { encoding: 'utf8', maxBuffer: 16 << 20 })).stdout;
  } catch (error) {
    if (error.code === 'ENOENT') throw new Error(`${file} not found: apt-get install ${file}`); // umoci, skopeo, tar
    const why = (error.stderr || error.message).trim().split('\n').at(-1);
    const shown = args.map((arg, i) => (args[i - 1] === '--dest-creds' ? 'USER:***' : arg)); // no password in a test log
    throw new Error(`${file} ${shown.join(' ')}: ${why}`);
  }
}

export const umoci = (...args) => run('umoci', args);

let initialized;
const initLayout = () => (initialized ??= umoci('init', '--layout', layout()));

/**
 * `umoci new` + `unpack`: an empty image TAG and its bundle, ready to be
 * filled. In this process's layout, unless LAYOUT (one `umoci init` made) and
 * BUNDLE are given — as test/helpers/debian.mjs does for its cached image.
 */
export async function newImage(tag, { layout: dir, bundle = join(work(), `bundle-${tag}`) } = {}) {
  if (dir === undefined) await initLayout();
  const image = `${dir ?? layout()}:${tag}`;
  await umoci('new', '--image', image);
  await umoci('unpack', ...ROOTLESS, '--image', image, bundle);
  return bundle;
}

/** Turn what changed in BUNDLE/rootfs into a new layer of TAG (in LAYOUT, default this process's). */
export async function repack(tag, bundle, createdBy, dir = layout()) {
  await umoci('repack', '--history.created_by', createdBy, '--image', `${dir}:${tag}`, bundle);
  rmSync(bundle, { recursive: true, force: true });
}

/**
 * A layer from a hand-made tree: `tar` of ENTRIES (in that order, no
 * recursion) under STAGE, added verbatim. OWNED (optional) are appended owned
 * by 1000:1000 (tar -r), since only root could chown them on disk.
 */
async function addTarLayer(tag, stage, entries, createdBy, owned = []) {
  const tar = `${stage}.tar`;
  const common = ['-C', stage, '--no-recursion', '--numeric-owner', MTIME];
  await run('tar', ['-cf', tar, ...common, '--owner=0', '--group=0', ...entries]);
  if (owned.length > 0) await run('tar', ['-rf', tar, ...common, '--owner=1000', '--group=1000', ...owned]);
  await umoci('raw', 'add-layer', '--history.created_by', createdBy, '--image', `${layout()}:${tag}`, tar);
}

function stageDir(name) {
  const dir = join(work(), name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Write FILE under ROOT (parents made), with MODE. */
function put(root, file, content, mode = 0o644) {
  const path = join(root, file);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
  chmodSync(path, mode); // explicit: the umask must not decide what the layer says
  return path;
}

// ---------------------------------------------------------------------------
// The images

/** busybox with relative applet links, Cmd ["sh"]: one layer. */
function buildSingleLayer() {
  return once('single', async () => {
    const bundle = await newImage('single');
    buildBusyboxRootfs(join(bundle, 'rootfs'));
    await repack('single', bundle, 'busybox');
    await umoci('config', '--image', `${layout()}:single`, '--config.cmd', 'sh');
    return 'single';
  });
}

/**
 * Three layers that exercise every rule of layer unpacking:
 *  1. busybox + /etc/deleteme + /data/old/a
 *  2. /etc/.wh.deleteme (a whiteout: delete /etc/deleteme);
 *     /data/.wh..wh..opq (an opaque directory: hide everything /data had below),
 *     /data/new, /data/hard (a hardlink to /data/new), /data/link -> new
 *  3. /usr/local/bin/suid (mode 4755), /shared (1777, sticky),
 *     /home/alice/owned (owned by 1000:1000)
 * and a config with Env, Cmd, WorkingDir and User.
 */
function buildThreeLayers() {
  return once('three', async () => {
    const bundle = await newImage('three');
    const rootfs = buildBusyboxRootfs(join(bundle, 'rootfs'));
    put(rootfs, 'etc/deleteme', 'this file is deleted by layer 2\n');
    put(rootfs, 'data/old/a', 'old\n');
    await repack('three', bundle, 'layer 1: busybox, /etc/deleteme, /data/old/a');

    const two = stageDir('layer2');
    put(two, 'etc/.wh.deleteme', '');
    put(two, 'data/.wh..wh..opq', '');
    put(two, 'data/new', 'new\n');
    linkSync(join(two, 'data/new'), join(two, 'data/hard'));
    symlinkSync('new', join(two, 'data/link'));
    chmodSync(join(two, 'etc'), 0o755);
    chmodSync(join(two, 'data'), 0o755);
    await addTarLayer('three', two, ['etc', 'etc/.wh.deleteme', 'data', 'data/.wh..wh..opq', 'data/new', 'data/hard', 'data/link'],
      'layer 2: whiteout /etc/deleteme, opaque /data with new, hard, link');

    const three = stageDir('layer3');
    put(three, 'usr/local/bin/suid', '#!/bin/sh\nid\n', 0o4755);
    mkdirSync(join(three, 'shared'));
    chmodSync(join(three, 'shared'), 0o1777);
    put(three, 'home/alice/owned', 'alice\n', 0o640);
    for (const dir of ['usr', 'usr/local', 'usr/local/bin', 'home', 'home/alice']) chmodSync(join(three, dir), 0o755);
    await addTarLayer('three', three, ['usr', 'usr/local', 'usr/local/bin', 'usr/local/bin/suid', 'shared', 'home'],
      'layer 3: setuid file, sticky directory, a file of 1000:1000', ['home/alice', 'home/alice/owned']);

    await umoci('config', '--image', `${layout()}:three`,
      '--config.env', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      '--config.env', 'GREETING=hello from layer 3',
      '--config.cmd', 'sh', '--config.cmd', '-c', '--config.cmd', 'cat /data/new',
      '--config.workingdir', '/data',
      '--config.user', '1000:1000');
    return 'three';
  });
}

/**
 * An OCI image index with two images: linux/amd64 and linux/arm64. Both are
 * busybox (the same first layer, so the same blob) plus a second layer with
 * a file /arch that says which one it is. (The arm64 one still holds the
 * host's amd64 busybox: the tests look at its bytes, they do not run it.)
 */
async function buildMultiArch() {
  await buildSingleLayer(); // outside once('multi'): the queue runs one build at a time
  return once('multi', async () => {
    const entries = [];
    for (const architecture of ['amd64', 'arm64']) {
      const tag = `arch-${architecture}`;
      const stage = stageDir(`layer-${architecture}`);
      put(stage, 'arch', `${architecture}\n`);
      await umoci('config', '--image', `${layout()}:single`, '--tag', tag, '--architecture', architecture, '--os', 'linux');
      await addTarLayer(tag, stage, ['arch'], `/arch says ${architecture}`);
      const { annotations, ...descriptor } = descriptorOf(tag);
      entries.push({ ...descriptor, platform: { architecture, os: 'linux' } });
    }
    writeIndex('multi', { schemaVersion: 2, mediaType: OCI_INDEX, manifests: entries });
    return 'multi';
  });
}

// umoci has no command to make an index, so we write one: it is a JSON blob in
// blobs/sha256/, and index.json (the layout's list of tags) points at it.
function writeIndex(tag, index) {
  const bytes = Buffer.from(JSON.stringify(index));
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  writeFileSync(join(layout(), 'blobs/sha256', digest.slice(7)), bytes);
  const top = layoutIndex();
  top.manifests = top.manifests.filter((m) => m.annotations?.[REF_NAME] !== tag);
  top.manifests.push({ mediaType: OCI_INDEX, digest, size: bytes.length, annotations: { [REF_NAME]: tag } });
  writeFileSync(join(layout(), 'index.json.tmp'), JSON.stringify(top));
  renameSync(join(layout(), 'index.json.tmp'), join(layout(), 'index.json')); // a reader never sees half of it
}

const layoutIndex = () => JSON.parse(readFileSync(join(layout(), 'index.json'), 'utf8'));
const readBlob = (digest) => JSON.parse(readFileSync(join(layout(), 'blobs/sha256', digest.slice(7)), 'utf8'));

function descriptorOf(tag) {
  const descriptor = layoutIndex().manifests.find((m) => m.annotations?.[REF_NAME] === tag);
  if (!descriptor) throw new Error(`no tag ${tag} in ${layout()}`);
  return descriptor;
}

// ---------------------------------------------------------------------------
// Pushing

/**
 * `skopeo copy` TAG of our layout (or of options.layout) to TARGET/NAME:DEST_TAG. TARGET is a host
 * ('127.0.0.1:PORT') or what startRegistry returned (its user and password are
 * then used). --preserve-digests: fail rather than let skopeo rewrite a
 * manifest, so the digests we return are the ones the registry serves.
 */
export async function push(tag, target, name, { tag: destTag = 'latest', all = false, layout: dir = layout() } = {}) {
  const { host, user, password } = typeof target === 'string' ? { host: target } : target;
  const digestFile = join(work(), `digest-${randomName()}`);
  await run('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', '--preserve-digests', '--digestfile', digestFile,
    ...(user ? ['--dest-creds', `${user}:${password}`] : []), ...(all ? ['--all'] : []),
    `oci:${dir}:${tag}`, `docker://${host}/${name}:${destTag}`]);
  const digest = readFileSync(digestFile, 'utf8').trim();
  rmSync(digestFile);
  return { reference: `${host}/${name}:${destTag}`, digest };
}

const randomName = () => Math.random().toString(36).slice(2);

/** What a pushed single image is made of, from the layout (the registry has the same blobs). */
function contents(tag) {
  const descriptor = descriptorOf(tag);
  const manifest = readBlob(descriptor.digest);
  return { mediaType: descriptor.mediaType, config: manifest.config.digest, layers: manifest.layers.map((l) => l.digest) };
}

/**
 * Push the one-layer busybox image as NAME (options.tag, default "latest").
 * → { reference, digest, mediaType, config, layers }
 */
export async function pushSingleLayer(target, name, options) {
  const tag = await buildSingleLayer();
  return { ...(await push(tag, target, name, options)), ...contents(tag) };
}

/** Push the three-layer image (see buildThreeLayers). → { reference, digest, mediaType, config, layers } */
export async function pushThreeLayers(target, name, options) {
  const tag = await buildThreeLayers();
  return { ...(await push(tag, target, name, options)), ...contents(tag) };
}

/**
 * Push the amd64 + arm64 index. → { reference, digest (of the index), mediaType,
 * manifests: { amd64: { digest, config, layers }, arm64: {…} } }
 */
export async function pushMultiArch(target, name, options) {
  const tag = await buildMultiArch();
  const pushed = await push(tag, target, name, { ...options, all: true });
  const manifests = {};
  for (const architecture of ['amd64', 'arm64']) {
    const { mediaType, ...rest } = contents(`arch-${architecture}`);
    manifests[architecture] = { digest: descriptorOf(`arch-${architecture}`).digest, ...rest };
  }
  return { ...pushed, mediaType: OCI_INDEX, manifests };
}
