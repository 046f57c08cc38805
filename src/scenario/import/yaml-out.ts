/**
 * A tiny YAML writer for imported scenarios: lines with comments (the `yaml` package drops or
 * misplaces comments on hand-built documents). Scalars are written as JSON, which YAML reads as is.
 */
export class YamlOut {
  private lines: string[] = [];
  comment(text: string, indent = 0): this {
    for (const l of text.split('\n')) this.lines.push(`${' '.repeat(indent)}#${l ? ` ${l}` : ''}`);
    return this;
  }
  blank(): this {
    this.lines.push('');
    return this;
  }
  /** `key: value  # note`; a list of scalars as a flow sequence. */
  field(indent: number, key: string, value: unknown, note?: string): this {
    this.lines.push(`${' '.repeat(indent)}${key}: ${scalar(value)}${note ? ` # ${note}` : ''}`);
    return this;
  }
  /** `key:` opening a nested block. */
  open(indent: number, key: string, note?: string): this {
    this.lines.push(`${' '.repeat(indent)}${key}:${note ? ` # ${note}` : ''}`);
    return this;
  }
  /** `- ` starting a list item; the item's first field follows on the same line. */
  item(indent: number, key: string, value: unknown, note?: string): this {
    this.lines.push(`${' '.repeat(indent)}- ${key}: ${scalar(value)}${note ? ` # ${note}` : ''}`);
    return this;
  }
  /** A list item that is one scalar. */
  entry(indent: number, value: unknown, note?: string): this {
    this.lines.push(`${' '.repeat(indent)}- ${scalar(value)}${note ? ` # ${note}` : ''}`);
    return this;
  }
  /** `lead |` and the text's lines indented under it (a literal block scalar: PEM certificates). */
  block(indent: number, lead: string, text: string): this {
    this.lines.push(`${' '.repeat(indent)}${lead} |`);
    for (const l of text.replace(/\n$/, '').split('\n')) this.lines.push(`${' '.repeat(indent + 2)}${l}`);
    return this;
  }
  toString(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

function scalar(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(scalar).join(', ')}]`;
  if (v !== null && typeof v === 'object') return `{ ${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${scalar(x)}`).join(', ')} }`;
  if (typeof v === 'string' && /^[A-Za-z0-9][A-Za-z0-9._@/-]*$/.test(v) && !/^(true|false|null|yes|no|on|off|~|\d[\d.eE+-]*)$/i.test(v)) return v;
  return JSON.stringify(v);
}
