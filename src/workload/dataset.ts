/** Workload domain (pure): the built-in synthetic products dataset: parameters, fingerprint, row generator. */
import { createHash } from 'node:crypto';
import { categoryName, indexSampler, seededRandom, type Distribution } from '../measure/random.js';

/** What a seeded products table holds; equal parameters give byte-identical data. */
export interface DatasetParams {
  rows: number;
  categories: number;
  distribution: Distribution;
  /** Zipf exponent; ignored (and recorded as 0) for uniform. */
  skew: number;
  seed: number;
}

export const DEFAULT_DATASET: DatasetParams = { rows: 1_000_000, categories: 1_000, distribution: 'uniform', skew: 0, seed: 42 };
/** The Zipf exponent when --skew is not given: one default for seed's data and bench's draws. */
export const DEFAULT_ZIPF_SKEW = 1.1;

/** One generated product. Prices are whole cents so no float rounding reaches the data. */
export interface ProductRow {
  id: number;
  /** The name without its trailing id: the full name is `${namePrefix}${id}`. Kept apart so the
   *  loader can encode the few distinct prefixes once instead of a new string per row. */
  namePrefix: string;
  category: string;
  priceCents: number;
  /** Microseconds since 2000-01-01T00:00:00Z, PostgreSQL's timestamp epoch (exact: below 2^53). */
  createdAtPgMicros: number;
}

/** Versioned so a change to the generator changes every fingerprint (and so every cache key). */
const GENERATOR_VERSION = 1;

/** A short, stable identity of the dataset: it goes into cache keys, results and metadata. */
export function datasetFingerprint(params: DatasetParams): string {
  const canonical = JSON.stringify([GENERATOR_VERSION, params.rows, params.categories, params.distribution,
    params.distribution === 'zipf' ? params.skew : 0, params.seed]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

const ADJECTIVES = ['Compact', 'Deluxe', 'Eco', 'Classic', 'Smart', 'Rugged', 'Premium', 'Basic', 'Ultra', 'Mini', 'Pro', 'Vintage'];
const NOUNS = ['Lamp', 'Kettle', 'Backpack', 'Headphones', 'Blender', 'Notebook', 'Chair', 'Drill', 'Jacket', 'Monitor', 'Tent', 'Watch'];
/** 2024-01-01T00:00:00Z in PostgreSQL epoch microseconds; rows spread over the two years after it. */
const CREATED_FROM_PG_MICROS = 757_382_400_000_000;
const CREATED_SPAN_SECONDS = 2 * 365 * 24 * 3600;

/** Produces the rows of a dataset in id order, a batch at a time. */
export interface RowGenerator {
  /** Emits up to `limit` further rows through `emit`; returns how many (0 when done). */
  next(emit: (row: Readonly<ProductRow>) => void, limit: number): number;
}

/**
 * Rows go out through a callback with one reused object: seeding a million rows must not
 * allocate a million objects, and batches let the loader respect back-pressure.
 */
export function createRowGenerator(params: DatasetParams): RowGenerator {
  const random = seededRandom(params.seed);
  const sampleCategory = indexSampler(params.categories, params.distribution, params.skew, random);
  const names = Array.from({ length: params.categories }, (_, index) => categoryName(index, params.categories));
  const prefixes = ADJECTIVES.flatMap((adjective) => NOUNS.map((noun) => `${adjective} ${noun} `));
  const row: ProductRow = { id: 0, namePrefix: '', category: '', priceCents: 0, createdAtPgMicros: 0 };
  let nextId = 1;
  return {
    next(emit, limit) {
      const last = Math.min(params.rows, nextId + limit - 1);
      const first = nextId;
      for (let id = first; id <= last; id++) {
        row.id = id;
        row.category = names[sampleCategory()]!;
        row.namePrefix = prefixes[Math.floor(random() * ADJECTIVES.length) * NOUNS.length + Math.floor(random() * NOUNS.length)]!;
        row.priceCents = 100 + Math.floor(random() * 99_900);
        row.createdAtPgMicros = CREATED_FROM_PG_MICROS + Math.floor(random() * CREATED_SPAN_SECONDS) * 1_000_000;
        emit(row);
      }
      nextId = last + 1;
      return last - first + 1;
    },
  };
}

/** What a seed did: the table, its dataset, and how long the load took. */
export interface SeedResult {
  table: string;
  fingerprint: string;
  rows: number;
  /** True when the table already held exactly this dataset: nothing was loaded. */
  unchanged: boolean;
  totalBytes: number;
  /** Create + COPY, the part comparable with `pgbench -i -I dtg`. */
  loadMs: number;
  /** Everything: load, primary key, optional index, ANALYZE, commit. */
  totalMs: number;
  rowsPerSecond: number;
  /** The total's parts (absent when nothing was loaded). */
  phases?: SeedPhases;
}

/** Where a seed's time went, in order; they add up to its totalMs (BEGIN counts in the load). */
export interface SeedPhases {
  /** Drop of the previous table, create, COPY (loadMs). */
  loadMs: number;
  primaryKeyMs: number;
  /** The optional category index and the dataset record. */
  indexMs: number;
  analyzeMs: number;
  commitMs: number;
}

/**
 * What a bench measured, named in every report: a 20,000-row table left by another command gives
 * speed-ups that mean nothing next to the README's, and nothing else would say why.
 */
export interface DatasetDescription {
  /** The table and filter column as the user named them. */
  table: string;
  column: string;
  /** Rows: exact for a table perfbench seeded, else PostgreSQL's estimate (or a count when it has none). */
  rows: number;
  rowsExact: boolean;
  /** Distinct filter values the operations draw from (a table perfbench did not seed: at most `valuesCap`). */
  distinctValues: number;
  /** True when the column holds more values than were read (distinctValues is the cap). */
  valuesCapped: boolean;
  rowsPerValue: number;
  fingerprint: string;
  seededByPerfbench: boolean;
  /** The built-in default dataset (`perfbench seed` with no flags), on which the README's figures were made. */
  isDefaultDataset: boolean;
}

/** Whether a fingerprint is the default dataset's. */
export function isDefaultDataset(fingerprint: string): boolean {
  return fingerprint === datasetFingerprint(DEFAULT_DATASET);
}
