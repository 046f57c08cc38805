/**
 * Safe reading of SAML messages: base64 (and DEFLATE for the Redirect binding) with size limits,
 * then XML parsing that refuses DTDs and entities outright (no XXE, no entity expansion).
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
    return inflateRawSync(raw, { maxOutputLength: SAML_MESSAGE_LIMIT }).toString('utf8');
  } catch {
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
  return doc;
}

/** First child element with this local name, at any depth. */
export function firstElement(node: Document | Element, localName: string): Element | undefined {
  const all = node.getElementsByTagNameNS('*', localName);
  return all.length > 0 ? (all.item(0) ?? undefined) : undefined;
}

export const escapeXml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
