/**
 * The recent requests (the dashboard's list, `idp.requests()`, GET /_mock/requests), kept as their
 * JSON log lines in byte chunks outside the JS heap. A record kept as objects outlives a few
 * young-generation collections and is copied by each (at thousands of requests a second, most of
 * what the collector copies): bytes are written once and never copied. They are read back as
 * records when someone looks, which is seldom. The request log hands them over a batch at a time,
 * each batch one chunk (the bytes it also wrote to stdout). Tokens and SAML messages (artifacts) are kept beside
 * the lines, only for the requests that carried them, and leave with them.
 */
import { jsonLine, type Artifact, type RequestRecord } from './log.js';

interface Chunk {
  /** The lines of a batch of records, as the request log encoded them (never written again). */
  bytes: Buffer;
  lines: number;
  /** Sequence number of the chunk's first line. */
  first: number;
}

export class RecentRequests {
  private chunks: Chunk[] = [];
  /** Lines in all chunks. */
  private lines = 0;
  /** Sequence number of the next line. */
  private next = 0;
  /** Artifacts by the sequence number of their record, oldest first. */
  private artifacts = new Map<number, Artifact[]>();

  /** At most `limit` records are answered; up to a batch more are held until their chunk leaves. */
  constructor(readonly limit: number) {}

  /** Keeps one record. */
  add(r: RequestRecord): void {
    this.addBatch([r], Buffer.from(jsonLine(r), 'utf8'));
  }

  /** Keeps a batch of records; `bytes` are their JSON lines (jsonLine), in order, kept as given. */
  addBatch(records: readonly RequestRecord[], bytes: Buffer): void {
    if (!records.length) return;
    // A small batch's bytes are a slice of Node's shared 8 KB pool: kept as they are, each would hold its slab.
    if (bytes.buffer.byteLength !== bytes.length) {
      const own = Buffer.allocUnsafeSlow(bytes.length);
      bytes.copy(own);
      bytes = own;
    }
    this.chunks.push({ bytes, lines: records.length, first: this.next });
    this.lines += records.length;
    for (const r of records) {
      if (r.artifacts?.length) this.artifacts.set(this.next, r.artifacts);
      this.next++;
    }
    // The oldest chunk goes once the newer ones hold the limit.
    while (this.chunks.length > 1 && this.lines - this.chunks[0]!.lines >= this.limit) {
      this.lines -= this.chunks.shift()!.lines;
    }
    if (this.artifacts.size) {
      const oldest = this.chunks[0]!.first;
      for (const seq of this.artifacts.keys()) {
        if (seq >= oldest) break;
        this.artifacts.delete(seq);
      }
    }
  }

  /** The newest `limit` records, oldest first: new objects, the caller's to keep. */
  list(): RequestRecord[] {
    const out: RequestRecord[] = [];
    const skip = Math.max(0, this.lines - this.limit);
    let seq = this.chunks[0]?.first ?? 0;
    let n = 0;
    for (const c of this.chunks) {
      const text = c.bytes.toString('utf8');
      let at = 0;
      for (let i = 0; i < c.lines; i++, seq++, n++) {
        const end = text.indexOf('\n', at);
        if (n >= skip) {
          const record = JSON.parse(text.slice(at, end)) as RequestRecord;
          const artifacts = this.artifacts.get(seq);
          if (artifacts) record.artifacts = artifacts;
          out.push(record);
        }
        at = end + 1;
      }
    }
    return out;
  }

  /** Bytes of the chunks held (for tests of the bound). */
  get heldBytes(): number {
    return this.chunks.reduce((n, c) => n + c.bytes.length, 0);
  }

  /** Records whose artifacts are held. */
  get heldArtifacts(): number {
    return this.artifacts.size;
  }

  clear(): void {
    this.chunks = [];
    this.lines = 0;
    this.artifacts.clear();
  }
}
