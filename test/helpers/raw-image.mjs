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

/** Push an image whose layers are the uncompressed tars LAYERS; returns { reference, digest, layers }. */
export async function pushRawImage(registry, name, layers, config = { Cmd: ['sh'] }) {
  const dir = mkdtempSync(join(tmpdir(), 'cellblock-raw-image-'));
  try {
    mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
    const blob = (bytes, mediaType) => {
      const digest = sha256(bytes);
      writeFileSync(join(dir, 'blobs', 'sha256', digest.slice(7)), bytes);
      return { mediaType, digest, size: bytes.length };
    };
    const layerDescriptors = layers.map((bytes) => blob(gzipSync(bytes), 'application/vnd.oci.image.layer.v1.tar+gzip'));
    const configDescriptor = blob(Buffer.from(JSON.stringify({
      architecture: 'amd64', os: 'linux', config, rootfs: { type: 'layers', diff_ids: layers.map(sha256) },
    })), 'application/vnd.oci.image.config.v1+json');
    const manifest = blob(Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: configDescriptor, layers: layerDescriptors,
    })), 'application/vnd.oci.image.manifest.v1+json');
    writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'latest' } }] }));
    writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    const reference = `${registry.host}/${name}:latest`;
    const creds = registry.user ? ['--dest-creds', `${registry.user}:${registry.password}`] : [];
    await run('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', ...creds, `oci:${dir}:latest`, `docker://${reference}`]);
    return { reference, digest: manifest.digest, layers: layerDescriptors.map((l) => l.digest) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
