// Images made of exactly the layers a test gives — hostile ones included —
// written as an OCI image layout by hand and pushed with skopeo:
//
//   blobs/sha256/<hex>   each layer gzipped, the config, the manifest
//   index.json           the manifest, named by org.opencontainers.image.ref.name
//   oci-layout           {"imageLayoutVersion": "1.0.0"}
//   skopeo copy --dest-tls-verify=false oci:DIR:latest docker://HOST/NAME:latest
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';

const run = promisify(execFile);
const sha256 = (bytes) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/**
 * An uncompressed tar of ENTRIES, tar-stream headers plus an optional
 * `content`: { name, content?, type?, linkname?, mode?, uid?, gid?, mtime?, pax? }.
 */
export async function tarOf(entries) {
  const pack = tar.pack();
  const chunks = [];
  pack.on('data', (chunk) => chunks.push(chunk));
  const ended = new Promise((resolve, reject) => {
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  for (const { content, ...header } of entries) {
    await new Promise((resolve, reject) => {
      const done = (error) => (error ? reject(error) : resolve());
      if (content !== undefined) pack.entry(header, Buffer.from(content), done);
      else pack.entry(header, done);
    });
  }
  pack.finalize();
  await ended;
  return Buffer.concat(chunks);
}

/**
 * The blobs of an image made of LAYERS, and its manifest, as JSON bytes.
 * A layer is an uncompressed tar (gzipped here, its diff_id computed) or
 * { blob, diffId, mediaType? }: bytes sent as they are (a truncated gzip, a
 * bomb). EDIT.config and EDIT.manifest may change the documents in place,
 * or return bytes to use instead (something that is not JSON, say).
 */
function imageParts(layers, config, edit = {}) {
  const blobs = [];
  const blob = (bytes, mediaType) => {
    blobs.push(bytes);
    return { mediaType, digest: sha256(bytes), size: bytes.length };
  };
  const given = layers.map((layer) => (Buffer.isBuffer(layer) ? { blob: gzipSync(layer), diffId: sha256(layer) } : layer));
  const layerDescriptors = given.map((layer) => blob(layer.blob, layer.mediaType ?? 'application/vnd.oci.image.layer.v1.tar+gzip'));
  const document = (value, change) => {
    const changed = change?.(value);
    return changed === undefined ? Buffer.from(JSON.stringify(value)) : Buffer.from(changed);
  };
  const configJson = { architecture: 'amd64', os: 'linux', config, rootfs: { type: 'layers', diff_ids: given.map((layer) => layer.diffId) } };
  const configDescriptor = blob(document(configJson, edit.config), 'application/vnd.oci.image.config.v1+json');
  const manifestJson = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: configDescriptor, layers: layerDescriptors };
  return { blobs, manifest: document(manifestJson, edit.manifest), layers: layerDescriptors.map((l) => l.digest) };
}

/** Push an image whose layers are the uncompressed tars LAYERS; returns { reference, digest, layers }. */
export async function pushRawImage(registry, name, layers, config = { Cmd: ['sh'] }) {
  const dir = mkdtempSync(join(tmpdir(), 'cellblock-raw-image-'));
  try {
    mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
    const parts = imageParts(layers, config);
    for (const bytes of [...parts.blobs, parts.manifest]) writeFileSync(join(dir, 'blobs', 'sha256', sha256(bytes).slice(7)), bytes);
    const manifest = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256(parts.manifest), size: parts.manifest.length };
    writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'latest' } }] }));
    writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    const reference = `${registry.host}/${name}:latest`;
    const creds = registry.user ? ['--dest-creds', `${registry.user}:${registry.password}`] : [];
    await run('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', ...creds, `oci:${dir}:latest`, `docker://${reference}`]);
    return { reference, digest: manifest.digest, layers: parts.layers };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// By hand, with the registry's HTTP API (an open registry: no credentials),
// for images skopeo would refuse to copy or would quietly repair: a layer of
// size -1, a config that is not JSON, diff_ids that do not add up.

/** POST an upload, then PUT all of BYTES with their digest: the monolithic upload. */
export async function putBlob(registry, name, bytes) {
  const started = await fetch(`http://${registry.host}/v2/${name}/blobs/uploads/`, { method: 'POST' });
  if (started.status !== 202) throw new Error(`putBlob ${name}: POST answered ${started.status}`);
  const location = new URL(started.headers.get('location'), `http://${registry.host}`);
  location.searchParams.set('digest', sha256(bytes));
  const put = await fetch(location, { method: 'PUT', body: bytes, headers: { 'content-type': 'application/octet-stream' } });
  if (put.status !== 201) throw new Error(`putBlob ${name}: PUT answered ${put.status}: ${await put.text()}`);
  return sha256(bytes);
}

/** PUT BYTES as the manifest NAME:REFERENCE, of MEDIA_TYPE; returns { reference, digest }. */
export async function putManifest(registry, name, reference, bytes, mediaType) {
  const put = await fetch(`http://${registry.host}/v2/${name}/manifests/${reference}`, { method: 'PUT', body: bytes, headers: { 'content-type': mediaType } });
  if (put.status !== 201) throw new Error(`putManifest ${name}:${reference}: ${put.status}: ${await put.text()}`);
  return { reference: `${registry.host}/${name}:${reference}`, digest: sha256(bytes) };
}

/**
 * Push the image LAYERS (as imageParts takes them) makes, its documents
 * changed by EDIT, as NAME:latest over HTTP. → { reference, digest, layers, manifest (the bytes) }
 */
export async function pushImageParts(registry, name, layers, edit = {}, config = { Cmd: ['sh'] }) {
  const parts = imageParts(layers, config, edit);
  for (const bytes of parts.blobs) await putBlob(registry, name, bytes);
  const pushed = await putManifest(registry, name, 'latest', parts.manifest, 'application/vnd.oci.image.manifest.v1+json');
  return { ...pushed, layers: parts.layers, manifest: parts.manifest };
}
