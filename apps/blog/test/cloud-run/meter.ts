import type { GcsStandIn } from '../support/gcs-stand-in.js';
import type { InstanceReport } from './instance.js';

export type EgressKind = 'html' | 'css' | 'image' | 'other';

export interface StorageSample {
  label: string;
  at: number;
  bytes: number;
  objects: number;
  /** Bytes deleted since the start (billed for 7 more days under the default soft-delete policy). */
  deletedBytes: number;
}

export interface BucketOperations {
  /** Writes and listings: uploads (each request of a resumable upload counted), metadata updates, lists. */
  classA: number;
  /** Reads: object metadata, downloads, bucket metadata. */
  classB: number;
  /** Deletes are free. */
  free: number;
  byKind: Record<string, number>;
}

/** Classifies one JSON/XML API call the way Cloud Storage bills it. */
export function operationClass(method: string, path: string): { cls: 'A' | 'B' | 'free'; kind: string } {
  const p = path.split('?')[0];
  if (method === 'DELETE') return { cls: 'free', kind: 'delete' };
  if (p.startsWith('/upload/')) return { cls: 'A', kind: method === 'POST' ? 'upload' : 'upload-chunk' };
  if (/^\/storage\/v1\/b\/[^/]+\/o\/?$/.test(p))
    return method === 'GET' ? { cls: 'A', kind: 'list' } : { cls: 'A', kind: 'insert' };
  if (/\/(copyTo|rewriteTo|compose)\//.test(p) || p.endsWith('/compose')) return { cls: 'A', kind: 'copy' };
  if (/^\/storage\/v1\/b\/[^/]+\/o\/.+/.test(p)) {
    return method === 'GET'
      ? { cls: 'B', kind: path.includes('alt=media') ? 'download' : 'metadata' }
      : { cls: 'A', kind: 'update' };
  }
  if (p.startsWith('/download/')) return { cls: 'B', kind: 'download' };
  if (/^\/storage\/v1\/b\/[^/]+\/?$/.test(p)) return { cls: 'B', kind: 'bucket-metadata' };
  // The XML API's GET /{bucket}/{object} (Litestream's Go client downloads this way).
  return method === 'GET' || method === 'HEAD' ? { cls: 'B', kind: 'download' } : { cls: 'A', kind: `other ${method}` };
}

/** What the cost model needs: requests, egress, CPU, memory, bucket operations and storage over time. */
export class Meter {
  requests = 0;
  refusedTooLarge = 0;
  readonly egressBytes: Record<EgressKind, number> = { html: 0, css: 0, image: 0, other: 0 };
  readonly storage: StorageSample[] = [];
  private seen = new Map<string, number>();
  private deletedBytes = 0;

  constructor(
    private readonly gcs: GcsStandIn,
    private readonly bucket: string,
  ) {}

  egressKind(contentType: string): EgressKind {
    if (contentType.startsWith('text/html')) return 'html';
    if (contentType.startsWith('text/css')) return 'css';
    if (contentType.startsWith('image/')) return 'image';
    return 'other';
  }

  addEgress(kind: EgressKind, bytes: number): void {
    this.egressBytes[kind] += bytes;
  }

  bucketOperations(): BucketOperations {
    const ops: BucketOperations = { classA: 0, classB: 0, free: 0, byKind: {} };
    for (const r of this.gcs.requests) {
      const { cls, kind } = operationClass(r.method, r.path);
      if (cls === 'A') ops.classA++;
      else if (cls === 'B') ops.classB++;
      else ops.free++;
      ops.byKind[kind] = (ops.byKind[kind] ?? 0) + 1;
    }
    return ops;
  }

  /** Records the bucket's size now (and what disappeared since the last sample). */
  sampleStorage(label: string): StorageSample {
    const now = new Map([...this.gcs.objects(this.bucket)].map(([name, data]) => [name, data.length]));
    for (const [name, size] of this.seen) if (!now.has(name)) this.deletedBytes += size;
    this.seen = now;
    const sample = {
      label,
      at: Date.now(),
      bytes: [...now.values()].reduce((a, b) => a + b, 0),
      objects: now.size,
      deletedBytes: this.deletedBytes,
    };
    this.storage.push(sample);
    return sample;
  }

  /** Totals over instances: CPU-seconds by phase and the highest memory peak. */
  static instances(reports: InstanceReport[]): { cpu: InstanceReport['cpuSeconds']; peakMemoryBytes: number; oomKills: number } {
    const cpu = { starting: 0, serving: 0, stopping: 0 };
    let peak = 0;
    let oom = 0;
    for (const r of reports) {
      cpu.starting += r.cpuSeconds.starting;
      cpu.serving += r.cpuSeconds.serving;
      cpu.stopping += r.cpuSeconds.stopping;
      peak = Math.max(peak, r.peakMemoryBytes);
      oom += r.oomKills;
    }
    return { cpu, peakMemoryBytes: peak, oomKills: oom };
  }
}
