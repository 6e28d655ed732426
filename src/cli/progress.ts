// Pull progress: one bar per layer on a terminal (cli-progress), and one
// plain line per layer event otherwise (logs, CI), as docker prints them.
import { constants as osConstants } from 'node:os';
import type { Writable } from 'node:stream';
import type { PullEvent } from '../image/pull.js';

const short = (digest: string) => digest.slice(7, 19);
const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

export function pullProgress(out: Writable & { isTTY?: boolean }, quiet = false): (event: PullEvent) => void {
  if (quiet) return () => {};
  return out.isTTY ? barProgress(out) : lineProgress(out);
}

function lineProgress(out: Writable): (event: PullEvent) => void {
  const said = new Map<string, string>();
  return (event) => {
    if (event.kind === 'manifest') return void out.write(`Pulling ${event.reference} (${event.digest})\n`);
    const line = { present: 'Already exists', waiting: undefined, downloading: 'Downloading', unpacking: 'Extracting', done: 'Pull complete' }[event.status];
    if (!line || said.get(event.digest) === line) return;
    said.set(event.digest, line);
    out.write(`${short(event.digest)}: ${line}${event.status === 'done' && event.bytes ? ` (${megabytes(event.bytes)})` : ''}\n`);
  };
}

function barProgress(out: Writable): (event: PullEvent) => void {
  type Bars = import('cli-progress').MultiBar;
  let bars: Bars | undefined;
  const rows = new Map<string, ReturnType<Bars['create']>>();
  let pending: Promise<unknown> | undefined;
  return (event) => {
    if (event.kind === 'manifest') {
      out.write(`Pulling ${event.reference}\n`);
      // Loaded only when a terminal is watching: the common `run` of a present image never pays for it.
      pending = import('cli-progress').then(({ default: progress }) => {
        bars = new progress.MultiBar({
          stream: out as NodeJS.WriteStream, hideCursor: true, clearOnComplete: false,
          format: '{layer}: {bar} {status} {value}/{total} bytes',
        }, progress.Presets.shades_classic);
        for (const layer of event.layers) rows.set(layer.digest, bars.create(layer.size, 0, { layer: short(layer.digest), status: 'waiting' }));
        // However the pull ends — a failure exits at once, Ctrl-C would kill Node
        // before any 'exit' handler — the terminal gets its cursor back.
        process.once('exit', () => bars?.stop());
        for (const signal of ['SIGINT', 'SIGTERM'] as const) {
          process.once(signal, () => process.exit(128 + osConstants.signals[signal]));
        }
      });
      return;
    }
    void pending?.then(() => {
      const row = rows.get(event.digest);
      if (!row) return;
      const total = event.total ?? 0;
      const status = { present: 'exists', waiting: 'waiting', downloading: 'downloading', unpacking: 'extracting', done: 'complete' }[event.status];
      row.update(event.status === 'present' || event.status === 'done' ? total : event.bytes ?? 0, { status });
      if ([...rows.values()].every((r) => r.getProgress() >= 1)) bars?.stop();
    });
  };
}
