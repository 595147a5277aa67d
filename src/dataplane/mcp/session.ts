import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'crypto';
import { type McpBus, replicaState } from './bus';

/**
 * MCP sessions as self-contained sealed tokens: the `Mcp-Session-Id` the gateway hands out is the
 * session itself (server, consumer, negotiated revision, the upstream's own session id, issue time),
 * encrypted and authenticated with AES-256-GCM. Why this design rather than session state in Redis:
 * - any replica given the same Secret (`mcp.sessionKey`) serves any request of any session, with no
 *   shared state, no Redis round trip and nothing to expire or replicate;
 * - the per-request cost is one AES-GCM open of a ~150-byte token (microseconds); the key is derived
 *   once per config (HKDF-SHA256, not a password KDF: the Secret is a random key, not a password, so
 *   there is nothing for 100k iterations to protect), never per session;
 * - a token cannot be forged or altered (GCM's tag), and it is bound to its server and consumer: the
 *   front refuses it anywhere else with 404, and never forwards it.
 * Everything about sessions is in this module, so that the 2026-07-28 revision (no sessions,
 * `server/discover`) can be served beside it without touching the rest of the front.
 */
export interface McpSession {
  readonly server: string;
  readonly consumer: string;
  /** The protocol revision negotiated at initialize. */
  readonly version: string;
  /** The upstream MCP server's own `Mcp-Session-Id` (proxies whose upstream issued one). */
  readonly upstream: string | undefined;
  /** Seconds since the epoch. */
  readonly issuedAt: number;
}

/** The token layout's version (first byte, also the AAD): a new layout gets a new byte, old tokens then fail to open. */
const LAYOUT = 0x01;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Longer ids are refused before any decoding: a real token is a few hundred characters. */
const MAX_TOKEN_CHARS = 4_096;
/** The Secret's minimum length: a 256-bit key's worth of bytes. */
export const MIN_SESSION_KEY_BYTES = 32;
const HKDF_SALT = 'aigw.dev/mcp-session';
const HKDF_INFO = 'aes-256-gcm session token v1';

export class SessionSealer {
  /**
   * The key derived from `mcp.sessionKey`'s value and the gateway's name: every replica of the gateway
   * derives the same key, and two gateways that share one Secret still cannot open each other's tokens.
   */
  public static fromSecret(secret: string, gateway: string): SessionSealer {
    return new SessionSealer(Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), HKDF_SALT, `${HKDF_INFO} for gateway ${gateway}`, 32)), 'secret');
  }

  /**
   * Without `mcp.sessionKey`: a random key of this process, the same across reloads (so a reload keeps
   * sessions), unknown to other replicas (they answer 404 to this replica's sessions).
   */
  public static processLocal(): SessionSealer {
    processSealer ??= new SessionSealer(randomBytes(32), 'process');
    return processSealer;
  }

  private constructor(
    private readonly key: Buffer,
    /** Where the key comes from: the Secret (shared by replicas) or this process alone. */
    public readonly source: 'secret' | 'process',
  ) {}

  public seal(session: McpSession): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(AAD);
    const plain = Buffer.from(JSON.stringify([session.server, session.consumer, session.version, session.upstream ?? null, session.issuedAt]), 'utf8');
    const sealed = Buffer.concat([AAD, iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return sealed.toString('base64url');
  }

  /** The session a token carries, or undefined for anything that is not a token sealed with this key (tampered, truncated, garbage). */
  public open(token: string): McpSession | undefined {
    if (token.length > MAX_TOKEN_CHARS || !/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
    const bytes = Buffer.from(token, 'base64url');
    // One spelling per token: base64 decoders drop a stray last character and ignore a last character's
    // spare bits, which would let altered ids open as the session they alter.
    if (bytes.length < 1 + IV_BYTES + TAG_BYTES + 2 || bytes[0] !== LAYOUT || bytes.toString('base64url') !== token) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(1, 1 + IV_BYTES));
      decipher.setAAD(AAD);
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(bytes.subarray(1 + IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
      const [server, consumer, version, upstream, issuedAt] = JSON.parse(plain.toString('utf8')) as [string, string, string, string | null, number];
      return { server, consumer, version, upstream: upstream ?? undefined, issuedAt };
    } catch {
      return undefined;
    }
  }
}

const AAD = Buffer.from([LAYOUT]);
let processSealer: SessionSealer | undefined;

/** Sessions ended (DELETE), by the digest of their id, newest last: bounded, the oldest forgotten first. */
const MAX_ENDED = 10_000;
/** The gateway-wide channel a DELETE is told on, so that every replica refuses the session from then on. */
const ENDED_CHANNEL = 'sessions:ended';

/** The ids are digested: what goes through Redis (and sits in memory) cannot be presented as a session. */
function digest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function endedOn(bus: McpBus): Set<string> {
  return replicaState(bus, 'ended-sessions', () => new Set<string>());
}

function remember(bus: McpBus, id: string): void {
  const ended = endedOn(bus);
  ended.add(id);
  if (ended.size > MAX_ENDED) ended.delete(ended.values().next().value!);
}

/**
 * A DELETE ends the session: this replica answers 404 to its id from now on, and, when the bus is
 * shared (Redis), every other replica too as soon as the message reaches it. A replica that is cut off
 * from Redis at that moment, or starts later, does not learn it: the token then stays valid there until
 * it expires (`mcp.sessionTtlSeconds`); a proxied session is ended upstream as well, which then refuses it
 * through any replica. Resolves once told (a failure to tell is logged by the caller, never thrown).
 */
export async function endSession(bus: McpBus, token: string): Promise<void> {
  const id = digest(token);
  remember(bus, id);
  if (bus.shared) await bus.publish(ENDED_CHANNEL, id);
}

/** Whether a DELETE ended the session, on this replica or (told through the bus) on another: memory only, no round trip. */
export function isEnded(bus: McpBus, token: string): boolean {
  const ended = endedOn(bus);
  return ended.size > 0 && ended.has(digest(token));
}

/** Once per shared bus: learn the sessions other replicas end. */
export async function listenForEndedSessions(bus: McpBus): Promise<void> {
  if (!bus.shared) return;
  await bus.subscribe(
    ENDED_CHANNEL,
    (id) => {
      if (/^[0-9a-f]{64}$/.test(id)) remember(bus, id);
    },
    { lasting: true },
  );
}
