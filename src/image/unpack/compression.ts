// A layer's media type says how its tar is compressed. Decompression is a
// stream stage like any other: bytes in, bytes out, never the whole layer
// in memory.
import { Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';
import { MEDIA_TYPES } from '../oci.js';
import type { Compression } from './protocol.js';

const BY_MEDIA_TYPE = new Map<string, Compression>([
  [MEDIA_TYPES.ociLayerGzip, 'gzip'],
  [MEDIA_TYPES.dockerLayerGzip, 'gzip'],
  [MEDIA_TYPES.ociLayerZstd, 'zstd'],
  [MEDIA_TYPES.ociLayer, 'none'],
  // "Non-distributable" layers (Windows base images, mostly) are the same
  // formats under names that told registries not to push them (deprecated).
  ['application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', 'gzip'],
  ['application/vnd.oci.image.layer.nondistributable.v1.tar+zstd', 'zstd'],
  ['application/vnd.oci.image.layer.nondistributable.v1.tar', 'none'],
  ['application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', 'gzip'],
]);

/** The compression of a layer of MEDIA_TYPE; throws a one-line error for any other type. */
export function compressionOf(mediaType: string): Compression {
  const compression = BY_MEDIA_TYPE.get(mediaType);
  if (compression === undefined) throw new Error(`unsupported layer media type "${mediaType}"`);
  return compression;
}

/** Shell: gunzip, or zstd -d, or cat. */
export function decompressor(compression: Compression): Transform | undefined {
  if (compression === 'gzip') return createGunzip();
  if (compression === 'zstd') return zstdDecompressor();
  return undefined;
}

/**
 * Node 20's zlib has no zstd (it arrived in Node 22.15), so fzstd, a small
 * pure-JavaScript decoder that decodes as data arrives. Limit: it keeps one
 * window of the frame, whose size the frame header declares (up to 2 GiB,
 * where zstd(1) refuses more than 128 MiB unless given --memory).
 */
function zstdDecompressor(): Transform {
  let decoder: Decompress;
  return new Transform({
    construct(callback) {
      // fzstd reuses its buffers: copy each block out before handing it on.
      decoder = new Decompress((data) => this.push(Buffer.from(data)));
      callback();
    },
    transform(chunk: Buffer, _encoding, callback) {
      try {
        decoder.push(chunk);
        callback();
      } catch (error) {
        callback(new Error(`zstd: ${(error as Error).message}`));
      }
    },
    flush(callback) {
      try {
        decoder.push(new Uint8Array(0), true);
        callback();
      } catch (error) {
        callback(new Error(`zstd: ${(error as Error).message}`));
      }
    },
  });
}
