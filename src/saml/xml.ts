/**
 * Safe reading of SAML messages: base64 (and DEFLATE for the Redirect binding) with size limits,
 * then XML parsing that refuses DTDs and entities outright (no XXE, no entity expansion) and
 * documents in which two elements carry the same ID (the raw material of signature wrapping).
 */
import { inflateRawSync } from 'node:zlib';
import { DOMParser } from '@xmldom/xmldom';
import { EntraError } from '../entra/errors.js';

/** Largest decoded SAML message accepted; Entra's AuthnRequests are a few KB. */
export const SAML_MESSAGE_LIMIT = 128 * 1024;

const invalid = (detail: string) => new EntraError(75005, { params: { detail } });

export function decodeMessage(value: string, binding: 'redirect' | 'post'): string {
  if (value.length > SAML_MESSAGE_LIMIT * 2) throw invalid('The SAML message is too large.');
  const raw = Buffer.from(value, 'base64');
  if (raw.length === 0) throw invalid('The SAML message is not valid base64.');
  if (binding === 'post') return raw.toString('utf8');
  try {
    // maxOutputLength stops a deflate bomb after SAML_MESSAGE_LIMIT bytes of output, not at the end.
    return inflateRawSync(raw, { maxOutputLength: SAML_MESSAGE_LIMIT }).toString('utf8');
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw invalid(`The SAML message is too large once inflated (more than ${SAML_MESSAGE_LIMIT / 1024} KB).`);
    }
    throw invalid('The SAML message could not be inflated (HTTP-Redirect messages are DEFLATE-compressed, then base64-encoded).');
  }
}

export function parseXml(xml: string): Document {
  if (xml.length > SAML_MESSAGE_LIMIT) throw invalid('The SAML message is too large.');
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw invalid('DTDs and entities are not allowed in SAML messages.');
  const problems: string[] = [];
  const parser = new DOMParser({
    errorHandler: { warning: () => {}, error: (m: string) => problems.push(m), fatalError: (m: string) => problems.push(m) },
  });
  const doc = parser.parseFromString(xml, 'text/xml') as unknown as Document;
  if (problems.length || !doc?.documentElement) throw invalid('The SAML message is not well-formed XML.');
  const id = duplicateId(doc.documentElement);
  if (id !== undefined) throw invalid(`The ID '${id}' is used by more than one element.`);
  return doc;
}

/**
 * The attributes a signature Reference can resolve: xml-crypto looks a `#id` up in ID, Id and id
 * (any namespace), so all three share one space of values here.
 */
const ID_ATTRIBUTES = new Set(['ID', 'Id', 'id']);
const XMLNS = 'http://www.w3.org/2000/xmlns/';

/** Every node inside `root` (root included), depth first; iterative, so deep nesting cannot overflow the stack. */
function* descendants(root: Node): Generator<Node> {
  const stack: Node[] = [root];
  for (let node = stack.pop(); node; node = stack.pop()) {
    yield node;
    for (let c = node.lastChild; c; c = c.previousSibling) stack.push(c);
  }
}

/** The first ID value carried twice in the tree (on two elements, or twice on one), if any. */
function duplicateId(root: Element): string | undefined {
  const seen = new Set<string>();
  for (const node of descendants(root)) {
    if (node.nodeType !== 1) continue;
    const { attributes } = node as Element;
    for (let i = 0; i < attributes.length; i++) {
      const attr = attributes.item(i)!;
      if (attr.namespaceURI === XMLNS || !ID_ATTRIBUTES.has(attr.localName)) continue;
      if (seen.has(attr.value)) return attr.value;
      seen.add(attr.value);
    }
  }
  return undefined;
}

/** The element children of a node, in document order. */
export function childElements(node: Element): Element[] {
  const out: Element[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) if (c.nodeType === 1) out.push(c as Element);
  return out;
}

/** Comments and processing instructions anywhere inside an element (text the DOM and a canonicalizer may read differently). */
export function hasCommentOrPI(el: Element): boolean {
  for (const node of descendants(el)) if (node.nodeType === 7 || node.nodeType === 8) return true;
  return false;
}

