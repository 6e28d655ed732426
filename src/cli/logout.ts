// cellblock logout — forget the credentials `cellblock login` kept for a registry.
// Credentials that come from docker's ~/.docker/config.json are docker's:
// cellblock reads that file but never changes it.
import type { Writable } from 'node:stream';
import { credentialsFor, removeCredentials } from '../image/credentials.js';

export function logout(host: string, output: Writable = process.stdout): void {
  if (removeCredentials(host)) {
    output.write(`Removed login credentials for ${host}\n`);
    return;
  }
  const elsewhere = credentialsFor(host);
  if (elsewhere) throw new Error(`${host}: the credentials come from ${elsewhere.source}, which cellblock does not change — use docker logout ${host}`);
  throw new Error(`not logged in to ${host}`);
}
