import { main } from '../../src/cli/aigw';
import { LIBRARY_VERSION } from '../../src/specs/version';

/** What a newcomer types first: `aigw --help`, `aigw --version`, `aigw <command> --help`. */
async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((err += String(chunk)), true));
  try {
    return { code: await main(argv), out, err };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

test.each([['--help'], ['-h'], ['help']])('aigw %s prints every command and exits 0', async (flag) => {
  const { code, out } = await run([flag]);
  expect(code).toBe(0);
  for (const command of ['aigw serve', 'aigw dev', 'aigw prestop', 'aigw --version']) expect(out).toContain(command);
  expect(out).toContain('--drain-timeout-ms');
});

test.each([['--version'], ['-v'], ['version']])('aigw %s prints the package version', async (flag) => {
  expect(await run([flag])).toMatchObject({ code: 0, out: `aigw ${LIBRARY_VERSION}\n` });
});

test.each([
  ['serve', '--config DIR'],
  ['dev', '--json'],
  ['prestop', '--admin-port'],
])('aigw %s --help prints that command\'s usage and exits 0, before any flag is checked', async (command, flag) => {
  for (const help of ['--help', '-h']) {
    const { code, out, err } = await run([command, help]);
    expect({ code, err }).toEqual({ code: 0, err: '' });
    expect(out).toContain(`aigw ${command}`);
    expect(out).toContain(flag);
  }
});

test('an unknown command is refused naming it, with the usage, exit 2', async () => {
  const { code, err } = await run(['nope']);
  expect(code).toBe(2);
  expect(err).toContain("unknown command 'nope'");
  expect(err).toContain('aigw serve');
});
