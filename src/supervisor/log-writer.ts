// The supervisor's side of the log (format: src/runtime/log-file.ts).
//
// Output arrives in chunks that the kernel cut wherever a pipe read ended, not
// at line ends. Each stream keeps its unfinished line until the newline comes,
// so that a line is one entry with one timestamp — unless it grows past 16 KiB
// (docker's limit too), or the stream ends: then what there is is written.
import { openSync, writeSync, closeSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { formatEntry, type LogStream } from '../runtime/log-file.js';

const MAX_LINE = 16 * 1024;

export class LogWriter {
  private readonly fd: number;
  private readonly partial: Record<LogStream, string> = { stdout: '', stderr: '' };
  // A chunk may also end in the middle of a UTF-8 character: the decoder keeps its first bytes.
  private readonly decoders: Record<LogStream, StringDecoder> = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };

  constructor(path: string) {
    // O_APPEND: a restarted container's lines go after the ones it wrote before.
    this.fd = openSync(path, 'a', 0o600);
  }

  write(stream: LogStream, chunk: Buffer): void {
    let text = this.partial[stream] + this.decoders[stream].write(chunk);
    let end: number;
    while ((end = text.indexOf('\n')) !== -1) {
      this.append(stream, text.slice(0, end + 1));
      text = text.slice(end + 1);
    }
    while (text.length >= MAX_LINE) {
      this.append(stream, text.slice(0, MAX_LINE));
      text = text.slice(MAX_LINE);
    }
    this.partial[stream] = text;
  }

  /** The stream ended: its unfinished line is all it will ever say. */
  flush(stream: LogStream): void {
    const rest = this.partial[stream] + this.decoders[stream].end();
    if (rest) this.append(stream, rest);
    this.partial[stream] = '';
  }

  close(): void {
    this.flush('stdout');
    this.flush('stderr');
    closeSync(this.fd);
  }

  // Synchronous and unbuffered on purpose: a line the container printed is in
  // the file before anyone can ask `logs` for it, and a supervisor killed
  // with SIGKILL loses nothing it had already received.
  private append(stream: LogStream, log: string): void {
    writeSync(this.fd, formatEntry({ log, stream, time: new Date().toISOString() }));
  }
}
