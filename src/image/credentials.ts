// Registry credentials, per host, in docker's file format:
//
//   { "auths": { "127.0.0.1:5000": { "auth": "<base64 of user:password>" } } }
//
// cellblock writes only its own file, $XDG_CONFIG_HOME/cellblock/auth.json
// (~/.config/cellblock/auth.json), and reads docker's ~/.docker/config.json
// after it, so a `docker login` you already did works here too. base64 is an
// encoding, not encryption: the password is as safe as the file's mode (0600)
// — which is why docker and podman offer credential helpers (a keyring). We
// ignore docker's "credHelpers"/"credsStore": running them is out of scope.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export interface Credentials {
  username: string;
  password: string;
  /** The file they came from (credentialsFor only). */
  source?: string;
}

interface AuthFile {
  auths?: Record<string, { auth?: string }>;
  [other: string]: unknown;
}

/** Docker Hub answers to several names; `docker login` writes the oldest one. */
const DOCKER_HUB_ALIASES = ['docker.io', 'index.docker.io', 'registry-1.docker.io', 'https://index.docker.io/v1/'];

/** cellblock's own credentials file. */
export function authFilePath(): string {
  const config = process.env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(config, 'cellblock', 'auth.json');
}

/** docker's file ($DOCKER_CONFIG/config.json, default ~/.docker/config.json); never written. */
function dockerConfigPath(): string {
  return join(process.env.DOCKER_CONFIG || join(homedir(), '.docker'), 'config.json');
}

/**
 * The form a host is stored under: no scheme, no path, lower case, and
 * "docker.io" for any name of Docker Hub (so "https://index.docker.io/v1/"
 * from a docker config matches `cellblock login docker.io`).
 */
export function registryKey(host: string): string {
  if (DOCKER_HUB_ALIASES.includes(host)) return 'docker.io';
  const bare = host.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
  return DOCKER_HUB_ALIASES.includes(bare) ? 'docker.io' : bare;
}

/** Credentials for HOST: cellblock's file first, then docker's; undefined if neither has any. */
export function credentialsFor(host: string): Credentials | undefined {
  const key = registryKey(host);
  for (const file of [authFilePath(), dockerConfigPath()]) {
    const entry = findEntry(readAuthFile(file), key);
    if (entry?.auth) return { ...decodeAuth(entry.auth, file, key), source: file };
  }
  return undefined;
}

/** Store USER and PASSWORD for HOST in cellblock's file; returns the file's path. */
export function saveCredentials(host: string, username: string, password: string): string {
  if (username.includes(':')) throw new Error(`user name "${username}" contains ":", which the auth file format cannot hold`);
  const file = authFilePath();
  const content = readAuthFile(file);
  const auths = withoutKey(content.auths ?? {}, registryKey(host));
  auths[registryKey(host)] = { auth: Buffer.from(`${username}:${password}`).toString('base64') };
  writeAtomically(file, { ...content, auths });
  return file;
}

/** Remove HOST's entry from cellblock's file. Returns false when it had none. */
export function removeCredentials(host: string): boolean {
  const file = authFilePath();
  const content = readAuthFile(file);
  const auths = content.auths ?? {};
  const remaining = withoutKey(auths, registryKey(host));
  if (Object.keys(remaining).length === Object.keys(auths).length) return false;
  writeAtomically(file, { ...content, auths: remaining });
  return true;
}

function findEntry(content: AuthFile, key: string): { auth?: string } | undefined {
  const match = Object.keys(content.auths ?? {}).find((name) => registryKey(name) === key);
  return match === undefined ? undefined : content.auths![match];
}

function withoutKey(auths: Record<string, { auth?: string }>, key: string): Record<string, { auth?: string }> {
  return Object.fromEntries(Object.entries(auths).filter(([name]) => registryKey(name) !== key));
}

function readAuthFile(file: string): AuthFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new Error(`cannot read ${file} (${(error as NodeJS.ErrnoException).code})`);
  }
  try {
    const content = JSON.parse(text) as unknown;
    if (typeof content !== 'object' || content === null || Array.isArray(content)) throw new Error('not an object');
    return content as AuthFile;
  } catch {
    throw new Error(`${file} is not valid JSON: fix or remove it`);
  }
}

function decodeAuth(auth: string, file: string, key: string): Credentials {
  const decoded = Buffer.from(auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new Error(`${file}: the entry for ${key} is not base64 of "user:password"`);
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Write the file so that a crash leaves the old one or the new one, never half
 * of either: write a temporary file in the same directory, flush it, and
 * rename it over the old (rename(2) within a filesystem is atomic). It is
 * created 0600 — never readable by others, not even for a moment.
 */
function writeAtomically(file: string, content: AuthFile): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  rmSync(temporary, { force: true }); // a leftover of a crash: 'wx' below must create the file, with our mode
  const fd = openSync(temporary, 'wx', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(content, null, '\t')}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(temporary, file);
  } catch (error) {
    unlinkSync(temporary);
    throw new Error(`cannot write ${file} (${(error as NodeJS.ErrnoException).code})`);
  }
}
