/** A header value split into its main value and its `; name=value` parameters (RFC 9110 §5.6.6). */
export interface HeaderValue {
  /** The value before the first `;`, trimmed and lower-cased (e.g. `form-data`, `multipart/form-data`). */
  value: string;
  /** Parameters by lower-cased name; the first occurrence wins; quoted strings unquoted. */
  params: Record<string, string>;
}

/**
 * Parses `type; a=b; c="d;e"`. Inside quoted strings only `\"` and `\\` are escapes (other backslashes are
 * kept, as browsers send Windows paths unescaped). Returns undefined when a quoted string is not terminated.
 */
export function parseHeaderValue(header: string): HeaderValue | undefined {
  const firstSemi = header.indexOf(';');
  const value = (firstSemi === -1 ? header : header.slice(0, firstSemi)).trim().toLowerCase();
  const params: Record<string, string> = {};
  let i = firstSemi === -1 ? header.length : firstSemi + 1;
  while (i < header.length) {
    while (i < header.length && (header[i] === ';' || header[i] === ' ' || header[i] === '\t')) i++;
    if (i >= header.length) break;
    let end = i;
    while (end < header.length && header[end] !== '=' && header[end] !== ';') end++;
    const name = header.slice(i, end).trim().toLowerCase();
    i = end;
    let paramValue = '';
    if (header[i] === '=') {
      i++;
      while (i < header.length && (header[i] === ' ' || header[i] === '\t')) i++;
      if (header[i] === '"') {
        i++;
        let closed = false;
        while (i < header.length) {
          const c = header[i];
          if (c === '\\' && (header[i + 1] === '"' || header[i + 1] === '\\')) {
            paramValue += header[i + 1];
            i += 2;
          } else if (c === '"') {
            closed = true;
            i++;
            break;
          } else {
            paramValue += c;
            i++;
          }
        }
        if (!closed) return undefined;
        while (i < header.length && header[i] !== ';') i++;
      } else {
        let valueEnd = i;
        while (valueEnd < header.length && header[valueEnd] !== ';') valueEnd++;
        paramValue = header.slice(i, valueEnd).trim();
        i = valueEnd;
      }
    }
    if (name !== '' && !(name in params)) params[name] = paramValue;
  }
  return { value, params };
}

/** Decodes an RFC 8187 extended value (`utf-8''%e2%82%ac.txt`); undefined when it is not one. */
export function decodeExtendedValue(extended: string): string | undefined {
  const match = /^([^']*)'[^']*'(.*)$/.exec(extended);
  if (!match) return undefined;
  const charset = match[1].toLowerCase();
  try {
    if (charset === 'utf-8' || charset === 'utf8' || charset === '') return decodeURIComponent(match[2]);
    if (charset === 'iso-8859-1' || charset === 'latin1') {
      return Buffer.from(match[2].replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('latin1');
    }
  } catch {
    return undefined;
  }
  return undefined;
}
