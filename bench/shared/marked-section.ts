import { existsSync, readFileSync, writeFileSync } from 'fs';

/** A bench's section of a Markdown file (BENCHMARKS.md), between its two markers. */
export interface MarkedSection {
  readonly file: string;
  readonly start: string;
  readonly end: string;
  /** The first time (no markers yet): the section goes right after this marker when the file has it, else at the end. */
  readonly after?: string;
}

/** Replaces the section between its markers with `markdown`; the first time, inserts it (see MarkedSection.after). */
export function writeMarkedSection(s: MarkedSection, markdown: string): void {
  const block = `${s.start}\n${markdown.trimEnd()}\n${s.end}`;
  const current = existsSync(s.file) ? readFileSync(s.file, 'utf8') : '# Benchmarks\n';
  const startAt = current.indexOf(s.start);
  const endAt = current.indexOf(s.end);
  const afterAt = s.after === undefined ? -1 : current.indexOf(s.after);
  let next: string;
  if (startAt >= 0 && endAt > startAt) {
    next = `${current.slice(0, startAt)}${block}${current.slice(endAt + s.end.length)}`;
  } else if (s.after !== undefined && afterAt >= 0) {
    const at = afterAt + s.after.length;
    next = `${current.slice(0, at)}\n\n${block}${current.slice(at)}`;
  } else {
    next = `${current.trimEnd()}\n\n${block}\n`;
  }
  writeFileSync(s.file, next);
}
