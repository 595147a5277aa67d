/** Shared by the simulator tests: started simulators are closed after each test. */
import { type SimulatorOptions, UpstreamSimulator } from '../../src/simulator';

const started: UpstreamSimulator[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((sim) => sim.close()));
});

export async function startSimulator(options: SimulatorOptions = {}): Promise<UpstreamSimulator> {
  const sim = await UpstreamSimulator.start(options);
  started.push(sim);
  return sim;
}

/** Reads a fetch body, counting the reads (a body written in several pieces arrives in several reads). */
export async function readAll(response: Response): Promise<{ bytes: Buffer; reads: number }> {
  const reader = response.body!.getReader();
  const chunks: Buffer[] = [];
  for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(Buffer.from(r.value));
  return { bytes: Buffer.concat(chunks), reads: chunks.length };
}

/** Splits an SSE body into `{ event, data }` frames (`event` is undefined for `data:`-only frames). */
export function parseSse(text: string): { event?: string; data: string }[] {
  const frames = text.split('\n\n');
  if (frames.pop() !== '') throw new Error('The stream does not end with a blank line.');
  return frames.map((frame) => {
    const lines = frame.split('\n');
    const event = lines.find((l) => l.startsWith('event: '))?.slice('event: '.length);
    const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice('data: '.length)).join('\n');
    return { event, data };
  });
}
