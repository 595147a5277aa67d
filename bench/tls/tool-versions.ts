/** The versions of what the HTTPS bench runs besides aigw: the Debian packages, and the OpenSSL each side links. */
import { spawnSync } from 'child_process';

/** A Debian package's installed version, or 'n/a'. */
function debianVersion(pkg: string): string {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() !== '' ? r.stdout.trim() : 'n/a';
}

/** nginx, wrk and h2load (Debian's, linked to the system's OpenSSL), and node's own OpenSSL, which aigw and the handshake client use. */
export function toolVersions(): Record<string, string> {
  return {
    'node OpenSSL': process.versions.openssl,
    'nginx-light': debianVersion('nginx-light'),
    'wrk': debianVersion('wrk'),
    'nghttp2-client (h2load)': debianVersion('nghttp2-client'),
    'system OpenSSL (nginx, wrk, h2load)': debianVersion('libssl3'),
  };
}
