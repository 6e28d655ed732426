// Image references, read the way docker reads them:
//
//   busybox                      → docker.io/library/busybox:latest
//   alice/app:1.2                → docker.io/alice/app:1.2
//   localhost/app                → localhost/app:latest
//   127.0.0.1:5000/team/app:dev  → a registry with a port
//   app@sha256:…                 → pinned to a manifest digest (tag ignored for pulling)
//
// The first path component is a registry only if it looks like a host: it
// has a "." or a ":" or is "localhost". Otherwise "alice/app" would be
// ambiguous between a registry named alice and a user named alice on Docker Hub.

import { DIGEST } from './oci.js';

export interface ImageReference {
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

export const DOCKER_HUB = 'docker.io';

// The distribution spec's grammar, shared with the registry client (which checks before it asks).
const COMPONENT_SOURCE = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const COMPONENT = new RegExp(`^${COMPONENT_SOURCE}$`);
export const REPOSITORY = new RegExp(`^${COMPONENT_SOURCE}(?:/${COMPONENT_SOURCE})*$`);
export const TAG = /^[\w][\w.-]{0,127}$/;
const HOST = /^(?:\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*)(?::([0-9]{1,5}))?$/;

/** NAME[:PORT], as 127.0.0.1:5000 or quay.io — with a port a socket can have (the grammar alone allows 99999). */
export function isRegistryHost(text: string): boolean {
  const port = HOST.exec(text)?.[1];
  return HOST.test(text) && (port === undefined || (Number(port) >= 1 && Number(port) <= 65535));
}

export function parseReference(text: string): ImageReference {
  const bad = (why: string) => new Error(`invalid image reference "${text}": ${why}`);
  if (text === '') throw bad('it is empty');
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad('the digest must be sha256: and 64 lowercase hex digits');
  }
  // A ":" after the last "/" starts a tag; one before it belongs to a registry's port.
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(`"${tag}" is not a valid tag`);
  }
  const parts = rest.split('/');
  let registry = DOCKER_HUB;
  if (parts.length > 1 && (parts[0].includes('.') || parts[0].includes(':') || parts[0] === 'localhost')) {
    registry = parts.shift()!;
    if (!isRegistryHost(registry)) throw bad(`"${registry}" is not a valid registry host (NAME[:PORT], a port from 1 to 65535)`);
  }
  if (parts.some((part) => part !== part.toLowerCase())) throw bad('repository names must be lowercase');
  const wrong = parts.find((part) => !COMPONENT.test(part));
  if (wrong === '') throw bad('a path component is empty ("//", or "/" at an end): use lowercase letters, digits and separators (. _ __ -) between "/"');
  if (wrong !== undefined) throw bad(`"${wrong}" is not a valid path component: use lowercase letters, digits and separators (. _ __ -) between "/"`);
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift('library');
  const repository = parts.join('/');
  if (repository.length > 255) throw bad('the repository name is longer than 255 characters');
  return { registry, repository, tag: tag ?? (digest ? undefined : 'latest'), digest };
}

/** TEXT's full name if it is a valid reference, else undefined (it may be an image id). */
export function canonicalName(text: string): string | undefined {
  try {
    return formatReference(parseReference(text));
  } catch {
    return undefined;
  }
}

/** docker.io/library/busybox:latest — the full, unambiguous name. */
export function formatReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** busybox:latest rather than docker.io/library/busybox:latest, as `docker images` shows it. */
export function familiarName(ref: ImageReference): string {
  if (ref.registry !== DOCKER_HUB) return `${ref.registry}/${ref.repository}`;
  return ref.repository.startsWith('library/') ? ref.repository.slice('library/'.length) : ref.repository;
}
