import { StoreCircuit, StoreCircuitOpenError } from '../../../src/dataplane/limits';

/** A probe the test answers by hand, recording how many run at once. */
function manualProbe() {
  const pending: { resolve: () => void; reject: (e: Error) => void }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let started = 0;
  let onStart: (() => void) | undefined;
  const probe = () =>
    new Promise<void>((resolve, reject) => {
      started++;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const settle = () => inFlight--;
      pending.push({ resolve: () => (settle(), resolve()), reject: (e) => (settle(), reject(e)) });
      onStart?.();
    });
  const nextStart = () => new Promise<void>((r) => (onStart = r));
  return { probe, pending, nextStart, stats: () => ({ started, maxInFlight }) };
}

describe('StoreCircuit', () => {
  test('closed: commands run; a failure opens it and is passed on', async () => {
    const p = manualProbe();
    const circuit = new StoreCircuit({ name: 'redis test', probe: p.probe, probeIntervalMs: 1 });
    await expect(circuit.run(() => Promise.resolve(7))).resolves.toBe(7);
    const boom = new Error('Command timed out');
    await expect(circuit.run(() => Promise.reject(boom))).rejects.toBe(boom);
    expect(circuit.state).toBe('open');
    circuit.dispose();
  });

  test('open: commands fail at once without running; one probe at a time until one is answered; then closed', async () => {
    const p = manualProbe();
    const opened: unknown[] = [];
    let closed = 0;
    const circuit = new StoreCircuit({ name: 'redis test', probe: p.probe, probeIntervalMs: 1, onOpen: (e) => opened.push(e), onClose: () => closed++ });
    const first = p.nextStart();
    circuit.trip(new Error('Command timed out'));
    circuit.trip(new Error('again'));
    expect(opened).toHaveLength(1);

    let ran = 0;
    const command = () => {
      ran++;
      return Promise.resolve();
    };
    for (let i = 0; i < 10; i++) await expect(circuit.run(command)).rejects.toBeInstanceOf(StoreCircuitOpenError);
    expect(ran).toBe(0);
    await expect(circuit.run(command)).rejects.toThrow('rate limit store redis test did not answer its last command');

    await first;
    const second = p.nextStart();
    p.pending[0].reject(new Error('Command timed out'));
    await second;
    expect(circuit.state).toBe('open');
    const whenClosed = circuit.whenClosed();
    p.pending[1].resolve();
    await whenClosed;

    expect(circuit.state).toBe('closed');
    expect(closed).toBe(1);
    expect(p.stats()).toEqual({ started: 2, maxInFlight: 1 });
    await circuit.run(command);
    expect(ran).toBe(1);
    circuit.dispose();
  });

  test('an answer to a command already on its way closes it too; dispose stops probing', async () => {
    const p = manualProbe();
    const circuit = new StoreCircuit({ name: 'redis test', probe: p.probe, probeIntervalMs: 1 });
    let answer!: (v: string) => void;
    const late = circuit.run(() => new Promise<string>((r) => (answer = r)));
    const probing = p.nextStart();
    circuit.trip(new Error('Command timed out'));
    answer('late');
    await expect(late).resolves.toBe('late');
    expect(circuit.state).toBe('closed');

    circuit.trip(new Error('down again'));
    await probing;
    circuit.dispose();
    p.pending.forEach((x) => x.reject(new Error('still down')));
    await new Promise((r) => setTimeout(r, 5));
    // No probe after dispose (the one in flight was the last).
    expect(p.stats().started).toBe(1);
  });
});
