import { Errors } from '../errors';
import { TranslationError } from './errors';

/** A translation failure: the client's request (400, naming the field) or the upstream's answer (502). */
export function translated<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof TranslationError)) throw e;
    if (e.source === 'request') throw Errors.badRequest(e.message, e.param);
    throw Errors.upstreamUntranslatable(e.message);
  }
}

/** An upstream's JSON answer, parsed; one that is not JSON is the upstream's fault (502). */
export function parseUpstreamJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw Errors.upstreamNotJson();
  }
}
