// The unpacker's data path, inside its user namespace:
//
//   stdin (compressed, as downloaded) → gunzip / zstd → sha256 + byte count → tar parser → LayerWriter
//
// all one stream: a chunk is hashed and handed to the tar parser as it
// arrives, and the parser waits (backpressure) while an entry is written,
// so memory stays flat whatever the layer's size.
// Shell: gunzip < layer.tar.gz | tee >(sha256sum) | tar -xpf - -C TARGET (roughly)
//
// The sha256 of the uncompressed tar is the layer's diff_id: the image
// config lists them (rootfs.diff_ids), and the caller checks ours against it.
import { createHash } from 'node:crypto';
import { chmodSync } from 'node:fs';
import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract as tarExtract, type Extract as TarParser, type Header } from 'tar-stream';
import type { UsernsMode } from '../../userns/idmap.js';
import { decompressor } from './compression.js';
import { EntryError } from './entry-path.js';
import { LayerDirectory } from './layer-dir.js';
import { LayerWriter, type WritePolicy } from './layer-writer.js';
import { Notices } from './notices.js';
import type { UnpackerJob } from './protocol.js';

/** The layer inflated past its limit: said as it is (explain() does not call it a tar error). */
class LayerTooLarge extends Error {
  constructor(limit: string) {
    super(`more than ${limit} uncompressed, the most a layer may hold (a decompression bomb?); CELLBLOCK_MAX_LAYER_SIZE raises the limit`);
  }
}

export interface Unpacked { diffId: string; size: number; notices: string[] }

/** Unpack the layer arriving on INPUT into JOB.target (which exists and is empty). */
export async function unpackHere(input: Readable, job: Extract<UnpackerJob, { kind: 'unpack' }>): Promise<Unpacked> {
  // Modes come from the tar, not from the umask of whoever runs the pull.
  process.umask(0);
  chmodSync(job.target, 0o755); // unless the tar has a "./" entry of its own
  const notices = new Notices(job.label);
  const writer = new LayerWriter(new LayerDirectory(job.target), job.mode, notices);
  const hash = createHash('sha256');
  let size = 0;
  await untar(input, writer, {
    decompress: decompressor(job.compression),
    onChunk: (chunk) => {
      hash.update(chunk);
      size += chunk.length;
      // A few KiB of gzip can inflate to terabytes of zeros: stop at the limit, not at a full disk.
      if (size > job.limit.bytes) throw new LayerTooLarge(job.limit.text);
    },
  });
  return { diffId: `sha256:${hash.digest('hex')}`, size, notices: notices.list() };
}

export interface ExtractOptions {
  /** Rename an entry (and a hard link's target) before it is written: cp's "copy DIR as NEWNAME". */
  rename?: (name: string) => string;
  mode: UsernsMode;
  policy: WritePolicy;
  notices: Notices;
}

/**
 * Extract the plain tar arriving on INPUT into TARGET, an existing
 * directory, under OPTIONS.policy (cellblock cp). Shell: tar -xpf - -C TARGET
 */
export async function extractHere(input: Readable, target: string, options: ExtractOptions): Promise<void> {
  const writer = new LayerWriter(new LayerDirectory(target), options.mode, options.notices, options.policy);
  const rename = options.rename;
  await untar(input, writer, {
    rename: rename && ((header) => {
      header.name = rename(header.name);
      if (header.type === 'link') header.linkname = rename(header.linkname);
    }),
  });
}

interface UntarStages {
  decompress?: Transform;
  /** Sees every (uncompressed) byte on its way to the parser. */
  onChunk?: (chunk: Buffer) => void;
  rename?: (header: Header) => void;
}

/** INPUT → [decompress] → [onChunk] → tar parser → WRITER, entry by entry; then the directories' modes and times. */
async function untar(input: Readable, writer: LayerWriter, stages: UntarStages): Promise<void> {
  const parser = tarExtract();
  const feed = feeder(parser);
  // The writer's own error (a hostile entry, a full disk) explains whatever the
  // parser says once it is destroyed ("The operation was aborted"): it wins.
  let entryFailure: Error | undefined;
  parser.on('entry', (header, content, next) => {
    stages.rename?.(header);
    // An error here destroys the parser, which ends the pipeline below.
    writer.write(header, content).then(() => next(), (error: Error) => {
      entryFailure ??= error;
      next(error);
    });
  });
  // onChunk's own error, kept: pipeline() reports the abort it causes upstream instead.
  let refused: Error | undefined;
  const consume = async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) {
      try {
        stages.onChunk?.(chunk);
      } catch (error) {
        throw (refused = error as Error);
      }
      await feed.write(chunk);
    }
    await feed.end();
  };
  try {
    if (stages.decompress) await pipeline(input, stages.decompress, consume);
    else await pipeline(input, consume);
  } catch (error) {
    throw explain(refused ?? entryFailure ?? error);
  }
  writer.finish();
}

/**
 * tar-stream's parser is a streamx Writable, not a Node one: this gives its
 * backpressure and its errors the shape of promises. write() resolves when
 * the parser wants more, end() when every entry has been written; either
 * rejects with the error that stopped the parser (an EntryError, say).
 */
function feeder(parser: TarParser): { write(chunk: Buffer): Promise<void>; end(): Promise<void> } {
  let failure: Error | undefined;
  parser.on('error', (error: Error) => {
    failure ??= error;
  });
  const stopped = () => failure ?? new Error('the tar parser stopped');
  const settled = (event: 'drain' | 'finish') => new Promise<void>((resolve, reject) => {
    const done = (error?: Error) => {
      parser.off(event, onEvent);
      parser.off('close', onClose);
      if (error) reject(error);
      else resolve();
    };
    const onEvent = () => done();
    const onClose = () => done(stopped()); // 'error' is always followed by 'close'
    parser.on(event, onEvent);
    parser.on('close', onClose);
  });
  return {
    async write(chunk) {
      if (parser.destroyed || parser.destroying) throw stopped();
      if (!parser.write(chunk)) await settled('drain');
    },
    async end() {
      if (parser.destroyed || parser.destroying) throw stopped();
      parser.end(null); // no last chunk (streamx's end takes one)
      await settled('finish');
    },
  };
}

/** One line that says which stage failed: the entry, the decompressor, or the tar format. */
function explain(error: unknown): Error {
  if (error instanceof EntryError || error instanceof LayerTooLarge) return error;
  const failure = error as NodeJS.ErrnoException;
  if (typeof failure.code === 'string' && failure.code.startsWith('Z_')) return new Error(`gzip: ${failure.message}`);
  if (/^zstd: /.test(failure.message ?? '')) return failure;
  return new Error(`tar: ${failure.message ?? String(error)}`);
}
