/**
 * The `{{args.name}}` templates of a tool's request (path, query values, header values), parsed once
 * when the config is loaded: a call only fills in values, it never re-reads the template.
 */
export type TemplatePart = { readonly literal: string } | { readonly arg: string };

export interface Template {
  readonly parts: readonly TemplatePart[];
  /** The argument when the whole template is one placeholder (a query value that may repeat for an array). */
  readonly only: string | undefined;
}

const PLACEHOLDER = /\{\{\s*args\.([^{}\s]+)\s*\}\}/g;

export function parseTemplate(text: string): Template {
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const match of text.matchAll(PLACEHOLDER)) {
    if (match.index > last) parts.push({ literal: text.slice(last, match.index) });
    parts.push({ arg: match[1] });
    last = match.index + match[0].length;
  }
  if (last < text.length) parts.push({ literal: text.slice(last) });
  const first = parts[0];
  return { parts, only: parts.length === 1 && first && 'arg' in first ? first.arg : undefined };
}
