/**
 * The CLI from source, for tests that need a real process (a real SIGINT, a real exit code):
 * `node --import tsx test/support/perfbench-src.ts <args>`. bin/perfbench would run dist/ when it
 * exists, which may be older than the source under test.
 */
import { main } from '../../src/cli.js';

process.exitCode = await main(process.argv);
