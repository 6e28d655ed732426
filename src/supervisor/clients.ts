// The supervisor's clients: the CLI that started it, and whoever connects to
// the attach socket later (`attach`, `logs -f`, `wait`, `stop`).
import { rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { FRAME, FrameDecoder, encodeFrame, frameJson, nextFrame, type Frame, type FrameType } from './frames.js';

export interface ClientOptions {
  /** Gets the container's output (an attached terminal), not only its start and exit. */
  output: boolean;
  /** May write to the container's stdin. */
  stdin: boolean;
  /**
   * The `run` in the foreground that created the container: if it goes away
   * without detaching (killed, its terminal closed), the container goes with
   * it — the same as any foreground program, and what cellblock did before
   * there was a supervisor. A detached client's going changes nothing.
   */
  foreground: boolean;
}

export interface ClientEvents {
  onStdin(data: Buffer): void;
  onStdinEnd(): void;
  onResize(size: { rows: number; cols: number }): void;
  onSignal(signal: NodeJS.Signals): void;
  /** A foreground client vanished without saying "detach". */
  onAbandoned(): void;
}

export class Clients {
  private readonly all = new Map<Socket, ClientOptions>();
  private server?: Server;
  private lastWords?: Buffer;

  constructor(private readonly events: ClientEvents) {}

  /** Serve CONNECTION (already decoded into FRAMES) as a client with OPTIONS. */
  add(connection: Socket, frames: FrameDecoder, options: ClientOptions): void {
    // A client that went away mid-write must not take the supervisor with it.
    connection.on('error', () => {});
    this.all.set(connection, options);
    let detached = false;
    frames.on('data', (frame: Frame) => {
      switch (frame.type) {
        case FRAME.stdin: if (options.stdin) this.events.onStdin(frame.payload); break;
        case FRAME.stdinEnd: if (options.stdin) this.events.onStdinEnd(); break;
        case FRAME.resize: this.events.onResize(frameJson(frame)); break;
        case FRAME.signal: this.events.onSignal(frame.payload.toString() as NodeJS.Signals); break;
        case FRAME.detach: detached = true; connection.end(); break;
      }
    });
    frames.resume(); // nextFrame() paused it after the first frame
    connection.once('close', () => {
      this.all.delete(connection);
      if (options.foreground && !detached && !this.lastWords) this.events.onAbandoned();
    });
    // Connected after the end: it still hears how it ended.
    if (this.lastWords) connection.end(this.lastWords);
  }

  /**
   * Listen on PATH for clients that attach later. Each says hello first:
   * {"stdin": bool, "output": bool}.
   */
  async listen(path: string): Promise<void> {
    rmSync(path, { force: true }); // a socket file left by a supervisor killed earlier
    this.server = createServer((connection) => {
      const frames = connection.pipe(new FrameDecoder());
      connection.on('error', () => {});
      void nextFrame(frames).then((hello) => {
        if (hello?.type !== FRAME.hello) return void connection.destroy();
        const wanted = frameJson<{ stdin?: boolean; output?: boolean }>(hello);
        this.add(connection, frames, { output: wanted.output ?? false, stdin: wanted.stdin ?? false, foreground: false });
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject).listen(path, () => resolve());
    });
  }

  /** The container printed something: every attached client gets it. */
  output(type: FrameType, data: Buffer): void {
    const frame = encodeFrame(type, data);
    for (const [connection, options] of this.all) if (options.output) connection.write(frame);
  }

  /** Something every client hears (start, exit). */
  broadcast(type: FrameType, payload: object): void {
    const frame = encodeFrame(type, payload);
    for (const connection of this.all.keys()) connection.write(frame);
  }

  /** The last frame: send it to everyone, and resolve once they all have it and the socket is gone. */
  async close(type: FrameType, payload: object): Promise<void> {
    const lastWords = encodeFrame(type, payload);
    this.lastWords = lastWords;
    const delivered = [...this.all.keys()].map((connection) => new Promise<void>((resolve) => {
      connection.once('close', () => resolve());
      connection.end(lastWords);
    }));
    // server.close() also removes the socket file; it waits for the connections above to end.
    const stopped = new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    await Promise.all([...delivered, stopped]);
  }
}
