/**
 * The recent requests (the dashboard's list, `idp.requests()`, GET /_mock/requests), kept as their
 * JSON log lines in byte chunks outside the JS heap. A record kept as objects outlives a few
 * young-generation collections and is copied by each (at thousands of requests a second, most of
 * what the collector copies): bytes are written once and never copied. They are read back as
 * records when someone looks, which is seldom. Tokens and SAML messages (artifacts) are kept beside
 * the lines, only for the requests that carried them, and leave with them.
 */
import { fitsIn, jsonLine, type Artifact, type RequestRecord } from './log.js';

/** Bytes per chunk: about 80 lines of a request log. A longer line gets a chunk of its own size. */
const CHUNK = 16 * 1024;

interface Chunk {
  bytes: Buffer;
  used: number;
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

  /** At most `limit` records are answered; up to a chunk more are held until their chunk leaves. */
  constructor(readonly limit: number) {}

  /** Keeps a record; `line` is its JSON line (jsonLine) when the caller made it already. */
  add(r: RequestRecord, line = jsonLine(r)): void {
    let c = this.chunks[this.chunks.length - 1];
    if (!c || !fitsIn(line, c.bytes.length - c.used)) {
      c = { bytes: Buffer.allocUnsafeSlow(Math.max(CHUNK, Buffer.byteLength(line))), used: 0, lines: 0, first: this.next };
      this.chunks.push(c);
    }
    c.used += c.bytes.write(line, c.used);
    c.lines++;
    this.lines++;
    if (r.artifacts?.length) this.artifacts.set(this.next, r.artifacts);
    this.next++;
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
      const text = c.bytes.toString('utf8', 0, c.used);
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
