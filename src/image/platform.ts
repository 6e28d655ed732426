// Choosing one image from a multi-platform index: the entry whose os and
// architecture (and variant, when asked) match this machine, as docker does.
import type { Descriptor, ImageIndex, Platform } from './oci.js';

/** Node's process.arch in the OCI (Go) spelling. */
const ARCHITECTURES: Record<string, Platform> = {
  x64: { os: 'linux', architecture: 'amd64' },
  arm64: { os: 'linux', architecture: 'arm64' },
  arm: { os: 'linux', architecture: 'arm', variant: 'v7' },
  ia32: { os: 'linux', architecture: '386' },
  ppc64: { os: 'linux', architecture: 'ppc64le' },
  s390x: { os: 'linux', architecture: 's390x' },
  riscv64: { os: 'linux', architecture: 'riscv64' },
};

export function hostPlatform(): Platform {
  return ARCHITECTURES[process.arch] ?? { os: 'linux', architecture: process.arch };
}

/** "linux/arm64" or "linux/arm/v7", as given to --platform. */
export function parsePlatform(text: string): Platform {
  const [os, architecture, variant, extra] = text.split('/');
  if (!os || !architecture || extra !== undefined) throw new Error(`invalid --platform "${text}": expected OS/ARCH[/VARIANT], e.g. linux/arm64`);
  return variant ? { os, architecture, variant } : { os, architecture };
}

export const formatPlatform = (p: Platform): string => [p.os, p.architecture, p.variant].filter(Boolean).join('/');

export function selectManifest(index: ImageIndex, want: Platform): Descriptor {
  const matches = index.manifests.filter((m) =>
    m.platform?.os === want.os && m.platform.architecture === want.architecture &&
    (want.variant === undefined || m.platform.variant === want.variant));
  if (matches.length > 0) return matches[0];
  const offered = index.manifests.map((m) => (m.platform ? formatPlatform(m.platform) : 'unknown')).join(', ');
  throw new Error(`no image for ${formatPlatform(want)} in this index (it has: ${offered || 'nothing'}); pick one with --platform`);
}
