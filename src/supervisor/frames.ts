// The attach protocol: what a client (the CLI of `run`, `attach`, `start -a`,
// `logs -f`, `wait`, `stop`) and a container's supervisor say to each other.
//
// One byte stream carries several streams at once — the container's stdout and
// stderr must stay apart, and keystrokes, window sizes and signals go the other
// way — so every message is a frame: a type byte, a 4-byte length, the bytes.
// (docker's attach stream multiplexes stdout and stderr with the same trick.)
import { Transform, type TransformCallback } from 'node:stream';

export const FRAME = {
  // client → supervisor
  /** {"stdin": bool, "tty": bool}: how to wire the container's stdio; the first frame from the CLI that launched the supervisor. */
  mode: 0x4d, // M
  /** {"id": …}: the container to run; the second. */
  start: 0x53, // S
  /** {"stdin": bool, "watch": bool}: the first frame on a connection to the attach socket. */
  hello: 0x48, // H
  stdin: 0x49, // I: bytes for the container's stdin (or its terminal)
  stdinEnd: 0x45, // E: the client's stdin ended
  resize: 0x57, // W: {"rows": n, "cols": n}
  signal: 0x4b, // K: "SIGTERM"
  /** The client goes away on purpose: the container keeps running. */
  detach: 0x44, // D
  // supervisor → client
  /** {"pid": n}: the command runs (pid 1 of the container, as the host sees it). */
  started: 0x50, // P
  stdout: 0x4f, // O
  stderr: 0x52, // R
  /** run --explain: lines that narrate the start (src/supervisor/explain.ts), for the CLI's stderr only: never the container's output or log. */
  explain: 0x4e, // N
  /** {"status": n} or {"status": n, "error": "…"}: the container has ended; the last frame. */
  exit: 0x58, // X
} as const;

export type FrameType = (typeof FRAME)[keyof typeof FRAME];

export interface Frame {
  type: number;
  payload: Buffer;
}

const HEADER = 5;

export function encodeFrame(type: FrameType, payload: Buffer | string | object = Buffer.alloc(0)): Buffer {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
  const header = Buffer.alloc(HEADER);
  header.writeUInt8(type, 0);
  header.writeUInt32BE(body.length, 1);
  return Buffer.concat([header, body]);
}

/** The JSON a frame carries. */
export const frameJson = <T>(frame: Frame): T => JSON.parse(frame.payload.toString('utf8')) as T;

/** Bytes in, frames out (object mode), whatever way the bytes were cut on the way. */
export class FrameDecoder extends Transform {
  private pending: Buffer = Buffer.alloc(0);

  constructor() {
    super({ readableObjectMode: true });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (this.pending.length >= HEADER) {
      const length = this.pending.readUInt32BE(1);
      if (this.pending.length < HEADER + length) break;
      this.push({ type: this.pending[0], payload: this.pending.subarray(HEADER, HEADER + length) } satisfies Frame);
      this.pending = this.pending.subarray(HEADER + length);
    }
    done();
  }
}

/** The next frame, or undefined at the end; pauses FRAMES so that nothing after it is lost. */
export function nextFrame(frames: FrameDecoder): Promise<Frame | undefined> {
  return new Promise((resolve) => {
    const onData = (frame: Frame) => {
      frames.pause();
      frames.off('end', onEnd);
      resolve(frame);
    };
    const onEnd = () => {
      frames.off('data', onData);
      resolve(undefined);
    };
    frames.once('data', onData).once('end', onEnd);
    frames.resume(); // a previous nextFrame() paused it
  });
}
