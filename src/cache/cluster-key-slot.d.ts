/** Types for cluster-key-slot (it ships none): Redis Cluster's hash slot of a key, its `{hash tag}` honoured. */
declare module 'cluster-key-slot' {
  /** The slot (0-16383) of `key`. */
  export default function calculateSlot(key: string | Buffer): number;
  /** The slot shared by every key, or -1 when they span several. */
  export function generateMulti(keys: ReadonlyArray<string | Buffer>): number;
}
