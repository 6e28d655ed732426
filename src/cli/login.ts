// cellblock login — check a user name and password against a registry, then
// keep them for later pulls (in $XDG_CONFIG_HOME/cellblock/auth.json, 0600).
//
//   cellblock login -u alice 127.0.0.1:5000                      # asks for the password
//   printf %s "$TOKEN" | cellblock login -u alice --password-stdin ghcr.io
//
// The check is GET /v2/ with the credentials, through the same 401 → Basic or
// → token-server dance a pull does (src/image/registry.ts): a wrong password
// fails here, not at the next pull, and nothing is saved.
import { createInterface } from 'node:readline/promises';
import { Writable, type Readable } from 'node:stream';
import { registryKey, saveCredentials } from '../image/credentials.js';
import { Registry, registryOrigin } from '../image/registry.js';

export interface LoginOptions {
  username?: string;
  password?: string;
  passwordStdin?: boolean;
  /** false: plain http (see registryOrigin); commander's --tls-verify[=false]. */
  tlsVerify?: boolean;
}

/** Where login reads and writes: the process's standard streams, or a test's. */
export interface LoginIO {
  input: Readable;
  output: Writable;
  errors: Writable;
}

export async function login(host: string, options: LoginOptions, io: Partial<LoginIO> = {}): Promise<void> {
  const { input = process.stdin, output = process.stdout, errors = process.stderr } = io;
  if (options.password !== undefined && options.passwordStdin) throw new Error('--password and --password-stdin cannot be used together');
  // "https://index.docker.io/v1/" and "docker.io" are one registry, and one entry in auth.json.
  const registry = registryKey(host);
  registryOrigin(registry); // a host that is no host fails now, before any question
  const username = options.username ?? (await ask('Username: ', input, output, { hidden: false, missing: 'no user name: use -u USER' }));
  if (username === '') throw new Error('the user name is empty');
  const password = options.passwordStdin
    ? await readPassword(input)
    : options.password ?? (await ask('Password: ', input, output, { hidden: true, missing: 'no password: use --password-stdin (or -p PASSWORD)' }));
  if (password === '') throw new Error('the password is empty');
  if (options.password !== undefined) {
    // Any user on this machine can read another's command line in /proc/PID/cmdline.
    errors.write('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
  }
  await Registry.connect(registry, { tlsVerify: options.tlsVerify, credentials: { username, password } }).ping();
  saveCredentials(registry, username, password);
  output.write('Login Succeeded\n');
}

/** All of INPUT, less one trailing newline (`echo PASS |` adds one; docker strips it too). */
async function readPassword(input: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/**
 * Ask QUESTION on the terminal. A hidden answer is not echoed: readline
 * echoes what is typed through its output stream, so after the question is
 * written we stop passing that stream's writes on.
 */
async function ask(question: string, input: Readable, output: Writable, { hidden, missing }: { hidden: boolean; missing: string }): Promise<string> {
  if (!(input as { isTTY?: boolean }).isTTY) throw new Error(missing);
  let muted = false;
  const echo = new Writable({
    write(chunk, _encoding, done) {
      if (!muted) output.write(chunk);
      done();
    },
  });
  const terminal = createInterface({ input, output: echo, terminal: true });
  try {
    const answer = terminal.question(question);
    muted = hidden;
    return (await answer).trim();
  } finally {
    terminal.close();
    if (hidden) output.write('\n');
  }
}
