/**
 * The XML the mock writes (Responses, metadata), as a small element tree with two serializations:
 * `wire`, the bytes sent, in Entra's layout; and `c14n`, the element's Exclusive XML Canonical
 * form (xml-exc-c14n, without comments), which is what an enveloped signature digests and signs.
 *
 * Why not sign with a DOM library: xml-crypto parses the document we just wrote, runs XPath over
 * it, clones and canonicalizes it, then serializes it again: most of the cost of a signed
 * Response. The tree already knows every element, attribute and namespace, so the canonical
 * bytes are written directly. A verifier parses the wire form and canonicalizes what it parsed;
 * the two agree because the wire form leaves a parser nothing to normalize (tabs and line breaks
 * in attributes are references, text carries LF line breaks only), and test/saml/c14n.test.ts
 * checks the canonical form against xml-crypto's canonicalizer while xmlsec1, node-saml and
 * samlify verify.
 */
import { DOMParser } from '@xmldom/xmldom';

export interface XmlElement {
  /** Qualified name: `samlp:Response`, `Assertion`. */
  name: string;
  /** In the order written; namespace declarations are the attributes `xmlns` and `xmlns:p`. */
  attrs: Array<[string, string]>;
  children: XmlNode[];
}
/** An element, or text (unescaped). */
export type XmlNode = XmlElement | string;

/** An element; attributes whose value is undefined are left out. */
export function el(name: string, attrs: Record<string, string | undefined> = {}, children: XmlNode[] = []): XmlElement {
  const list: Array<[string, string]> = [];
  for (const k in attrs) if (attrs[k] !== undefined) list.push([k, attrs[k]!]);
  return { name, attrs: list, children };
}

/**
 * Characters XML 1.0 cannot carry (C0 controls but tab and line breaks, U+FFFE/U+FFFF, lone
 * surrogates): a strict parser (libxml2) refuses the document, so they become U+FFFD. A directory
 * value holding one is the only way to meet them.
 */
// eslint-disable-next-line no-control-regex -- XML 1.0's illegal characters are control characters
const ILLEGAL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const TEXT = /[&<>]/g;
const ATTR_WIRE = /[&<>"\t\n\r]/g;
const ATTR_C14N = /[&<"\t\n\r]/g;
// eslint-disable-next-line no-control-regex -- the same set, to skip the replace when there is nothing to do
const NEEDS_WORK = /[&<>"\t\n\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;
const REFS: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\t': '&#x9;', '\n': '&#xA;', '\r': '&#xD;' };
const ref = (c: string) => REFS[c]!;
const legal = (s: string) => s.replace(ILLEGAL, '\uFFFD');
/**
 * Text: & < > as references, which is also the canonical form. A CR (or CRLF) in text is written
 * as the LF any XML parser reads it as (XML 1.0 §2.11): as &#xD; it would survive, but samlify
 * re-serializes the parsed document before verifying and loses it, so its digest would differ.
 * Attributes: tab, LF and CR as references, or the parser's attribute-value normalization would
 * make them spaces; the canonical form writes > as is.
 */
const text = (s: string) => (NEEDS_WORK.test(s) ? legal(s).replace(/\r\n?/g, '\n').replace(TEXT, ref) : s);
const attrWire = (s: string) => (NEEDS_WORK.test(s) ? legal(s).replace(ATTR_WIRE, ref) : s);
const attrC14n = (s: string) => (NEEDS_WORK.test(s) ? legal(s).replace(ATTR_C14N, ref) : s);

/** As sent: attributes in the order written, empty elements self-closed, no whitespace added. */
export function wire(node: XmlElement): string {
  let out = `<${node.name}`;
  for (const [k, v] of node.attrs) out += ` ${k}="${attrWire(v)}"`;
  if (node.children.length === 0) return `${out}/>`;
  out += '>';
  for (const c of node.children) out += typeof c === 'string' ? text(c) : wire(c);
  return `${out}</${node.name}>`;
}

const XML_NS = 'http://www.w3.org/XML/1998/namespace';
const prefixOf = (qname: string) => {
  const i = qname.indexOf(':');
  return i < 0 ? '' : qname.slice(0, i);
};
const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Namespaces in scope, by prefix ('' = default), for canonicalizing an element below the root. */
export type Namespaces = ReadonlyMap<string, string>;

/**
 * Exclusive XML Canonicalization (https://www.w3.org/TR/xml-exc-c14n/, no comments, no
 * InclusiveNamespaces) of `node` as the apex of the node set. A namespace declaration is written
 * where it is first visibly used (by the element's prefix or an attribute's) and not already
 * written by an output ancestor; namespace nodes first, sorted by prefix, then attributes sorted
 * by namespace URI and local name; empty elements get an end tag. `inScope`: what the ancestors
 * of `node` declare (needed for SignedInfo, whose Signature parent declares its namespace). A
 * prefix nobody declares is a bug in the writer, not something to guess: it throws.
 */
export function c14n(node: XmlElement, inScope: Namespaces = new Map(), rendered: Namespaces = new Map()): string {
  let scope = inScope;
  const plain: Array<[string, string]> = [];
  for (const a of node.attrs) {
    const k = a[0];
    if (k === 'xmlns' || k.startsWith('xmlns:')) {
      if (scope === inScope) scope = new Map(inScope);
      (scope as Map<string, string>).set(k === 'xmlns' ? '' : k.slice(6), a[1]);
    } else plain.push(a);
  }
  const used = [prefixOf(node.name)];
  for (const [k] of plain) {
    const p = prefixOf(k);
    if (p && p !== 'xml' && !used.includes(p)) used.push(p);
  }
  let out = `<${node.name}`;
  let written = rendered;
  for (const p of used.sort(byCodeUnits)) {
    const uri = scope.get(p) ?? '';
    if (uri === '' && p !== '') throw new Error(`c14n: the prefix '${p}' of <${node.name}> is not declared`);
    if (uri === '' && (rendered.get('') ?? '') === '') continue; // no default namespace, none written above
    if (rendered.get(p) === uri) continue;
    if (written === rendered) written = new Map(rendered);
    (written as Map<string, string>).set(p, uri);
    out += p === '' ? ` xmlns="${attrC14n(uri)}"` : ` xmlns:${p}="${attrC14n(uri)}"`;
  }
  if (plain.length > 1) {
    const key = (k: string) => {
      const p = prefixOf(k);
      return p ? [p === 'xml' ? XML_NS : scope.get(p)!, k.slice(p.length + 1)] : ['', k];
    };
    plain.sort((a, b) => {
      const [ua, la] = key(a[0]);
      const [ub, lb] = key(b[0]);
      return byCodeUnits(ua!, ub!) || byCodeUnits(la!, lb!);
    });
  }
  for (const [k, v] of plain) out += ` ${k}="${attrC14n(v)}"`;
  out += '>';
  for (const c of node.children) out += typeof c === 'string' ? text(c) : c14n(c, scope, written);
  return `${out}</${node.name}>`;
}

/**
 * XML another library wrote (xml-encryption's EncryptedData), as a tree to place in ours: its
 * elements, attributes (declarations included) and text; comments and processing instructions
 * are dropped (the library writes none).
 */
export function parseElement(xml: string): XmlElement {
  const doc = new DOMParser().parseFromString(xml, 'text/xml') as unknown as Document;
  if (!doc?.documentElement) throw new Error('parseElement: not well-formed XML');
  const convert = (e: Element): XmlElement => {
    const attrs: Array<[string, string]> = [];
    for (let i = 0; i < e.attributes.length; i++) attrs.push([e.attributes.item(i)!.name, e.attributes.item(i)!.value]);
    const children: XmlNode[] = [];
    for (let c = e.firstChild; c; c = c.nextSibling) {
      if (c.nodeType === 1) children.push(convert(c as Element));
      else if (c.nodeType === 3 || c.nodeType === 4) children.push((c as Text).data);
    }
    return { name: e.tagName, attrs, children };
  };
  return convert(doc.documentElement);
}
