import { vi } from 'vitest';
import { main } from '../../src/cli.js';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from './services.js';

/** Runs the CLI in-process against the test services and returns its exit code and output. */
export async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  vi.stubEnv('DATABASE_URL', TEST_DATABASE_URL);
  vi.stubEnv('REDIS_URL', TEST_REDIS_URL);
  vi.stubEnv('GITHUB_STEP_SUMMARY', '');
  for (const [key, value] of Object.entries(env)) vi.stubEnv(key, value);
  try {
    const code = await main(['node', 'perfbench', ...args]);
    return { code, stdout, stderr };
  } finally {
    process.exitCode = 0;
    vi.unstubAllEnvs();
    out.mockRestore();
    err.mockRestore();
  }
}
