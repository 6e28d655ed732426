// The init's end of the sync pipe (see src/runtime/protocol.ts). The init has
// nothing else to do while it waits, so plain blocking reads are the simplest
// correct thing: no event loop is involved.
import { readSync, writeSync } from 'node:fs';
import { SYNC_FD, encode, type InitMessage, type ParentMessage } from '../runtime/protocol.js';

// The init's messages by default. Another child spawned through
// src/userns/spawn.ts names its own types: tellParent<UnpackerMessage>(…).
// (NoInfer: the type is the one named, never guessed from the argument.)
export function tellParent<M extends { type: string } = InitMessage>(message: NoInfer<M>): void {
  writeSync(SYNC_FD, encode(message));
}

export function waitForParent<M extends { type: string } = ParentMessage>(): M {
  const chunks: Buffer[] = [];
  const buffer = Buffer.alloc(64 * 1024);
  for (;;) {
    const n = readSync(SYNC_FD, buffer);
    if (n === 0) throw new Error('the parent closed the sync pipe before sending "go"');
    const chunk = buffer.subarray(0, n);
    const newline = chunk.indexOf(0x0a);
    chunks.push(Buffer.from(newline === -1 ? chunk : chunk.subarray(0, newline)));
    if (newline !== -1) return JSON.parse(Buffer.concat(chunks).toString('utf8')) as M;
  }
}
