// cellblock port — where a running container's ports are published on the host.
import { parseContainerPort, portLines } from '../network/ports.js';
import { findRecord, isAlive } from '../runtime/records.js';

/** Print the container's port mappings ("80/tcp -> 0.0.0.0:8080"), or PRIVATE_PORT's host addresses alone. */
export function port(reference: string, privatePort?: string): number {
  const only = privatePort === undefined ? undefined : parseContainerPort(privatePort);
  if (privatePort !== undefined && !only) throw new Error(`invalid port ${JSON.stringify(privatePort)}: expected PORT or PORT/tcp|udp`);
  const record = findRecord(reference);
  // As docker: the ports that are bound now, so none while it is not running.
  const lines = portLines(isAlive(record) ? record.spec.network?.ports ?? [] : [], only);
  if (only && lines.length === 0) {
    throw Object.assign(new Error(`no public port '${only.port}/${only.protocol}' published for ${reference}`), { exitCode: 1 });
  }
  process.stdout.write(lines.map((line) => `${line}\n`).join(''));
  return 0;
}
