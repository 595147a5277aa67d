/** A bench driver's log: `[name HH:MM:SS] line` on stderr (stdout carries the rendered section). */
export function benchLog(name: string): (line: string) => void {
  return (line) => void process.stderr.write(`[${name} ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}
