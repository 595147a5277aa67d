/**
 * nginx terminating TLS: the data-plane bench's nginx contender (bench/dataplane/contenders.ts), its one server block
 * repeated on a second port with `ssl http2`, so that the TLS server proxies exactly as the plain one does (upstream
 * keep-alive, no buffering) and one nginx process serves both ports, as one aigw process does.
 */
import { existsSync, readFileSync, writeFileSync } from 'fs';
import { dirname, join } from 'path';
import { acceptsTls } from './verify-tls';
import { TLS_SETTINGS } from '../../src/dataplane/tls/certificates';
import type { Running } from '../dataplane/contenders';
import { waitFor } from '../dataplane/procs';

export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

/** The TLS directives, the same choices as aigw's listener (TLS_SETTINGS): TLS 1.2 and 1.3, its 1.2 suites, server order, tickets. */
function sslDirectives(files: TlsFiles): string {
  return [
    `ssl_certificate ${files.certFile};`,
    `ssl_certificate_key ${files.keyFile};`,
    'ssl_protocols TLSv1.2 TLSv1.3;',
    `ssl_ciphers ${TLS_SETTINGS.ciphers};`,
    `ssl_prefer_server_ciphers ${TLS_SETTINGS.honorCipherOrder ? 'on' : 'off'};`,
    `ssl_session_timeout ${TLS_SETTINGS.sessionTimeout}s;`,
    'ssl_session_tickets on;',
  ]
    .map((d) => `    ${d}`)
    .join('\n');
}

/**
 * Adds the TLS server to a running nginx contender and reloads it (SIGHUP: the master re-reads its config and
 * replaces its worker); resolves once `tlsPort` completes a handshake. Returns the TLS target's base URL.
 */
export async function addTlsServer(nginx: Running, files: TlsFiles, tlsPort: number): Promise<string> {
  const conf = / nginx -c (\S+)/.exec(nginx.command)?.[1];
  if (!conf) throw new Error(`nginx TLS: no config file (nginx -c) in the nginx contender's command '${nginx.command}'`);
  const text = readFileSync(conf, 'utf8');
  // The contender's one server block: from its `server {` to the `}` closing the http block's last child.
  const server = /\n( {2}server \{\n {4}listen [^\n]*;\n[\s\S]*?\n {2}\}\n)/.exec(text)?.[1];
  if (!server) throw new Error(`nginx TLS: ${conf} has no "  server { listen …; … }" block to repeat on the TLS port; bench/dataplane/contenders.ts nginx() changed its config`);
  const tlsServer = server.replace(/listen ([^\n;]*);/, `listen 127.0.0.1:${tlsPort} ssl http2;\n${sslDirectives(files)}`);
  writeFileSync(conf, text.replace(server, `${server}${tlsServer}`));
  process.kill(nginx.pid, 'SIGHUP');
  await waitFor('nginx to answer TLS handshakes', () => acceptsTls(tlsPort), 10_000, nginx.proc).catch((e: Error) => {
    // A config nginx refuses leaves the master on the old one: its reason is in the error log, next to nginx.conf.
    const errorLog = join(dirname(conf), 'error.log');
    throw new Error(`${e.message}; ${errorLog}: ${existsSync(errorLog) ? readFileSync(errorLog, 'utf8').slice(-1500) : 'none'}`);
  });
  return `https://127.0.0.1:${tlsPort}`;
}
