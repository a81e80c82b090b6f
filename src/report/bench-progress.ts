/** Reporter: the spinner text of a running bench. */
import { counted } from './format.js';
import type { ProgressEvent } from '../measure/runner.js';
import { formatMsFromUs, formatRate } from './bench-format.js';

/** The spinner text for a progress event. */
export function progressText(event: ProgressEvent, position: { run: number; runs: number; trials: number }): string {
  const where = `[${position.run}/${position.runs}] ${event.target} c=${event.concurrency}${position.trials > 1 ? ` trial ${event.trial}/${position.trials}` : ''}`;
  if (event.phase !== 'measure') return `${where} · ${event.phase === 'warmup' ? 'warming up' : event.phase === 'setup' ? 'setting up' : event.phase}`;
  const errors = event.errors > 0 ? ` · ${counted(event.errors, 'error')}` : '';
  return `${where} · ${(event.elapsedMs / 1000).toFixed(1)} s · ${formatRate(event.opsPerSec)} ops/s · p99 ${formatMsFromUs(event.p99Us)} ms${errors}`;
}
