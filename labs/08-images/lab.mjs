// Lab 8 — images: the registry protocol by hand, then `cellblock pull`, and
// the digests that make every byte checkable.
// Chapter: chapters/08-images.md
// Code:    src/image/registry.ts (the HTTP side), src/image/pull.ts (the steps),
//          src/image/store.ts (blobs/, layers/, refs/, tmp/)
//
// The lab starts its own registry on 127.0.0.1 (Debian's docker-registry, the
// same server code as most registries) and pushes a one-layer busybox image
// to it with umoci and skopeo (test/helpers/). Nothing leaves the machine.
//
// Run: node labs/08-images/lab.mjs
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { check, lab, missingCommands, note, onCleanup, section, show, skip } from '../lib.mjs';
import { startRegistry } from '../../test/helpers/registry.mjs';
import { pushSingleLayer } from '../../test/helpers/images.mjs';

const NAME = 'lab8/busybox';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const FETCH_TIMEOUT_MS = 10_000;
const PUSH_TIMEOUT_MS = 60_000;

const sha256 = (bytes) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const short = (digest) => (digest ? `${digest.slice(0, 19)}…` : String(digest));
/** application/vnd.oci.image.manifest.v1+json → …oci.image.manifest.v1+json, to fit a table cell. */
const type = (mediaType) => String(mediaType).replace(/^application\/vnd\./, '…');

/** GET URL with HEADERS: { status, headers, bytes }. Bounded, as every wait in a lab. */
async function get(url, headers = {}) {
  const response = await fetch(url, { headers, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
}

const json = (bytes) => {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return {};
  }
};

/** PROMISE, or a rejection naming WHAT after MS milliseconds: every wait in a lab is bounded. */
function bounded(promise, ms, what) {
  let timer;
  const late = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms); });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

await lab('Lab 8 · images', async ({ runner, cellblock }) => {
  const missing = missingCommands(['docker-registry', 'umoci', 'skopeo']);
  if (missing.length > 0) {
    skip('the whole lab', `${missing.join(', ')} not installed (apt-get install docker-registry umoci skopeo): it needs a registry and a way to push to it`);
    return;
  }

  section('a registry on 127.0.0.1, and an image pushed to it');
  const registry = await startRegistry({ auth: 'none' });
  onCleanup(() => registry.stop());
  const pushed = await bounded(pushSingleLayer(registry, NAME), PUSH_TIMEOUT_MS, 'building and pushing the image');
  const base = `http://${registry.host}/v2`;
  note(`registry: ${registry.host}; pushed ${pushed.reference} (manifest ${short(pushed.digest)})`);

  section('GET /v2/ — "do you speak the registry API?"');
  const ping = await get(`${base}/`);
  show([['GET /v2/', ping.status], ['Docker-Distribution-Api-Version', ping.headers.get('docker-distribution-api-version')]], ['', 'registry answers', '']);
  check(ping.status === 200, 'the registry answers /v2/ with 200 (no authentication configured)', `got ${ping.status}`);

  section('the manifest, by tag: what you get depends on what you Accept');
  const bare = await get(`${base}/${NAME}/manifests/latest`);
  const oci = await get(`${base}/${NAME}/manifests/latest`, { accept: OCI_MANIFEST });
  const manifest = json(oci.bytes);
  const headerDigest = oci.headers.get('docker-content-digest');
  show([['no Accept header', `${bare.status} ${json(bare.bytes).errors?.[0]?.code ?? ''}`],
    [`Accept: ${type(OCI_MANIFEST)}`, `${oci.status}, ${oci.bytes.length} bytes`],
    ['Content-Type', type(oci.headers.get('content-type'))],
    ['Docker-Content-Digest', short(headerDigest)],
    ['sha256 of the bytes', short(sha256(oci.bytes))]], ['', 'registry answers', '']);
  check(bare.status === 404 && json(bare.bytes).errors?.[0]?.code === 'MANIFEST_UNKNOWN',
    'without the OCI type in Accept, registry 2.8 answers 404 MANIFEST_UNKNOWN for an OCI image', `got ${bare.status} ${bare.bytes}`);
  check(oci.status === 200 && manifest.config?.digest && Array.isArray(manifest.layers), 'with it, the manifest: a config and a list of layers', `got ${oci.status}`);
  check(sha256(oci.bytes) === headerDigest && headerDigest === pushed.digest, 'the manifest\'s digest is the sha256 of its bytes', `${sha256(oci.bytes)} vs ${headerDigest}`);
  const byDigest = await get(`${base}/${NAME}/manifests/${headerDigest}`, { accept: OCI_MANIFEST });
  check(byDigest.status === 200 && byDigest.bytes.equals(oci.bytes), 'asked for by that digest, the registry sends the same bytes', `got ${byDigest.status}`);

  section('the config: the image\'s defaults and the diff_ids of its layers');
  const configBlob = await get(`${base}/${NAME}/blobs/${manifest.config.digest}`);
  const config = json(configBlob.bytes);
  const diffIds = config.rootfs?.diff_ids ?? [];
  show([['config digest (manifest)', short(manifest.config.digest)], ['sha256 of the blob', short(sha256(configBlob.bytes))],
    ['config.Cmd', JSON.stringify(config.config?.Cmd)], ['rootfs.diff_ids', diffIds.map(short).join(' ')]], ['', 'registry answers', '']);
  check(sha256(configBlob.bytes) === manifest.config.digest, 'the config blob\'s sha256 is the digest the manifest gives', short(sha256(configBlob.bytes)));
  check(diffIds.length === manifest.layers.length, 'the config lists one diff_id per layer of the manifest', `${diffIds.length} diff_ids, ${manifest.layers.length} layers`);

  section('a layer: the digest is of the gzip bytes, the diff_id of the tar inside');
  const [layer] = manifest.layers;
  const layerBlob = await get(`${base}/${NAME}/blobs/${layer.digest}`);
  let tar = Buffer.alloc(0);
  try {
    tar = gunzipSync(layerBlob.bytes);
  } catch (error) {
    note(`gunzip: ${error.message}`);
  }
  show([['mediaType', type(layer.mediaType), ''], ['size', `${layerBlob.bytes.length} bytes (manifest: ${layer.size})`, `${tar.length} bytes`],
    ['sha256', short(sha256(layerBlob.bytes)), short(sha256(tar))], ['expected', `digest ${short(layer.digest)}`, `diff_id ${short(diffIds[0])}`]],
  ['', 'the blob (gzip)', 'gunzipped (tar)']);
  check(sha256(layerBlob.bytes) === layer.digest && layerBlob.bytes.length === layer.size, 'the layer blob\'s sha256 and size are what the manifest says', short(sha256(layerBlob.bytes)));
  check(sha256(tar) === diffIds[0], 'gunzipped, its sha256 is the config\'s diff_id', `${short(sha256(tar))} vs ${short(diffIds[0])}`);
  check(layer.digest !== diffIds[0], 'digest and diff_id differ: two names for the same layer, before and after decompression', layer.digest);

  section('cellblock pull, and what it stored');
  const pulled = await cellblock(['pull', pushed.reference], { timeout: 60_000 });
  const store = join(runner.dataDir, 'cellblock');
  const blobFile = (digest) => join(store, 'blobs', 'sha256', digest.slice(7));
  const layerDir = ['subids', 'single'].map((mode) => join(store, 'layers', mode, diffIds[0].slice(7))).find(existsSync);
  const refs = existsSync(join(store, 'refs')) ? readdirSync(join(store, 'refs')).map((f) => json(readFileSync(join(store, 'refs', f)))) : [];
  const stored = (digest) => (existsSync(blobFile(digest)) ? readFileSync(blobFile(digest)) : undefined);
  note(pulled.stdout.trim().split('\n').at(-1));
  show([['manifest', short(pushed.digest), stored(pushed.digest) ? `blobs/sha256/${pushed.digest.slice(7, 19)}…` : 'missing'],
    ['config', short(manifest.config.digest), stored(manifest.config.digest) ? `blobs/sha256/${manifest.config.digest.slice(7, 19)}…` : 'missing'],
    ['layer (gzip)', short(layer.digest), stored(layer.digest) ? `blobs/sha256/${layer.digest.slice(7, 19)}…` : 'missing'],
    ['layer (unpacked)', `diff_id ${short(diffIds[0])}`, layerDir ? `layers/${layerDir.split('/').at(-2)}/${diffIds[0].slice(7, 19)}…` : 'missing'],
    ['name', pushed.reference, refs.map((r) => `refs/ → ${short(r.digest)}`).join(' ')]], ['', 'registry', 'the store ($XDG_DATA_HOME/cellblock)']);
  check(pulled.code === 0, 'cellblock pull succeeded', pulled.stderr.trim());
  check([pushed.digest, manifest.config.digest, layer.digest].every((d) => stored(d) && sha256(stored(d)) === d),
    'blobs/ holds the manifest, the config and the layer, each file named by the sha256 of its bytes');
  check(stored(layer.digest)?.equals(layerBlob.bytes), 'the stored layer blob is byte for byte what the registry sent');
  check(layerDir !== undefined && existsSync(join(layerDir, 'bin/busybox')), 'layers/ holds the unpacked layer, named by its diff_id', `no layers/*/${diffIds[0].slice(7)}`);
  check(refs.some((r) => r.name === pushed.reference && r.digest === pushed.digest), 'refs/ maps the name to the manifest digest', JSON.stringify(refs));
  check(readdirSync(join(store, 'tmp')).length === 0, 'tmp/ is empty: every file was renamed into place', readdirSync(join(store, 'tmp')).join(' '));

  section('one corrupted byte in the registry is caught');
  // A second, empty store, so that nothing is already there to be reused.
  const otherData = runner.tempDir('cellblock-lab8-');
  const other = join(otherData, 'cellblock');
  const path = registry.blobPath(layer.digest);
  const original = readFileSync(path);
  const corrupt = Buffer.from(original);
  const at = Math.floor(corrupt.length / 2);
  corrupt[at] ^= 0xff;
  writeFileSync(path, corrupt);
  const bad = await cellblock(['pull', pushed.reference], { timeout: 60_000, env: { XDG_DATA_HOME: otherData } });
  writeFileSync(path, original); // the registry is whole again
  const leftovers = (sub) => (existsSync(join(other, sub)) ? readdirSync(join(other, sub)) : []);
  const badLayers = ['subids', 'single'].filter((mode) => existsSync(join(other, 'layers', mode, diffIds[0].slice(7))));
  show([['byte flipped', `${at} of ${corrupt.length} in the layer blob`, ''],
    ['cellblock pull', '', `exit ${bad.code}`],
    ['left in the store', '', `blobs: ${leftovers('blobs/sha256').filter((f) => f === layer.digest.slice(7)).length} of the layer, layers: ${badLayers.length}, refs: ${leftovers('refs').length}, tmp: ${leftovers('tmp').length}`]],
  ['', 'registry', 'a fresh store']);
  note(bad.stderr.trim());
  check(bad.code === 125 && /digest mismatch/.test(bad.stderr) && bad.stderr.includes(layer.digest),
    'the pull fails (125) with a digest mismatch that names the layer', `exit ${bad.code}: ${bad.stderr.trim()}`);
  check(bad.stderr.trim().split('\n').length === 1, 'in one line on stderr', bad.stderr);
  check(!existsSync(join(other, 'blobs', 'sha256', layer.digest.slice(7))) && badLayers.length === 0 && leftovers('refs').length === 0 && leftovers('tmp').length === 0,
    'nothing of the bad layer is kept: no blob, no unpacked layer, no name, nothing in tmp/',
    `blobs/sha256: ${leftovers('blobs/sha256').length} files, layers: ${badLayers.join(' ') || 'none'}, refs: ${leftovers('refs').length}, tmp: ${leftovers('tmp').join(' ') || 'empty'}`);
  const retry = await cellblock(['pull', pushed.reference], { timeout: 60_000, env: { XDG_DATA_HOME: otherData } });
  check(retry.code === 0, 'with the byte restored, the same pull into the same store succeeds', retry.stderr.trim());
});
