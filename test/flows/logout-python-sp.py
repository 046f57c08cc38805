#!/usr/bin/python3
"""
A SAML service provider made with Debian's python3-onelogin-saml2 (python3-saml), in strict mode,
for the single logout tests (test/flows/logout.test.ts). It serves on 127.0.0.1 (port from the
config; 0 = any) and prints "listening PORT" once it does.

  GET  /login   AuthnRequest (HTTP-Redirect) to the IdP
  POST /acs     the IdP's Response: validated, then a session (cookie py_sp)
  GET  /sls     the IdP's LogoutRequest: validated (signature required), the session it names
                ended, and the LogoutResponse redirected back; or a LogoutResponse to our own logout
  GET  /logout  SP-initiated logout (LogoutRequest to the IdP)
  GET  /state   JSON: the sessions held and every message received, with what python3-saml said

The config is one JSON argument: {"port", "public" (the origin the browser uses, e.g.
http://localhost:3102), "entityId", "idp": {"entityId", "url", "cert"}}.
"""
import json
import secrets
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.logout_request import OneLogin_Saml2_Logout_Request

CONFIG = json.loads(sys.argv[1])
REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect'
POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST'
SETTINGS = {
    'strict': True,
    'debug': False,
    'sp': {
        'entityId': CONFIG['entityId'],
        'assertionConsumerService': {'url': CONFIG['public'] + '/acs', 'binding': POST},
        'singleLogoutService': {'url': CONFIG['public'] + '/sls', 'binding': REDIRECT},
        'NameIDFormat': 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    },
    'idp': {
        'entityId': CONFIG['idp']['entityId'],
        'singleSignOnService': {'url': CONFIG['idp']['url'], 'binding': REDIRECT},
        'singleLogoutService': {'url': CONFIG['idp']['url'], 'binding': REDIRECT},
        'x509cert': CONFIG['idp']['cert'],
    },
    'security': {
        # A correct SP: the Response, its assertion and every logout message must be signed by the IdP.
        'wantMessagesSigned': True,
        'wantAssertionsSigned': True,
        'wantNameId': True,
        'requestedAuthnContext': False,
        'authnRequestsSigned': False,
        'logoutRequestSigned': False,
        'logoutResponseSigned': False,
        'signatureAlgorithm': 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
        'digestAlgorithm': 'http://www.w3.org/2001/04/xmlenc#sha256',
    },
}

SESSIONS = {}  # cookie value -> {"nameId", "sessionIndex"}
RECEIVED = []  # what arrived, in order


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def request_data(self, post=None):
        url = urllib.parse.urlsplit(self.path)
        return {
            'https': 'off',
            'http_host': self.headers.get('Host', ''),
            'script_name': url.path,
            'get_data': dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True)),
            'post_data': post or {},
            # Verify the HTTP-Redirect signature over the octets as sent.
            'query_string': url.query,
            'validate_signature_from_qs': True,
        }

    def answer(self, status, body, headers=None, content_type='text/html; charset=utf-8'):
        data = body.encode('utf-8')
        self.send_response(status)
        self.send_header('Content-Type', content_type)
        self.send_header('Content-Length', str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def redirect(self, location, headers=None):
        self.answer(302, '', dict({'Location': location}, **(headers or {})))

    def session_id(self):
        for part in self.headers.get('Cookie', '').split(';'):
            name, _, value = part.strip().partition('=')
            if name == 'py_sp':
                return value
        return None

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        auth = OneLogin_Saml2_Auth(self.request_data(), SETTINGS)
        if path == '/login':
            return self.redirect(auth.login())
        if path == '/state':
            return self.answer(200, json.dumps({'sessions': list(SESSIONS.values()), 'received': RECEIVED}), content_type='application/json')
        if path == '/logout':
            session = SESSIONS.get(self.session_id() or '')
            if not session:
                return self.answer(400, 'not signed in')
            return self.redirect(auth.logout(name_id=session['nameId'], session_index=session['sessionIndex']))
        if path == '/sls':
            query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
            kind = 'LogoutRequest' if 'SAMLRequest' in query else 'LogoutResponse'
            url = auth.process_slo(keep_local_session=True)
            errors = auth.get_errors()
            record = {'kind': kind, 'valid': not errors, 'errors': errors, 'reason': auth.get_last_error_reason()}
            if kind == 'LogoutRequest' and not errors:
                xml = auth.get_last_request_xml()
                record['nameId'] = OneLogin_Saml2_Logout_Request.get_nameid(xml)
                record['sessionIndexes'] = OneLogin_Saml2_Logout_Request.get_session_indexes(xml)
                for key in [k for k, s in SESSIONS.items() if s['sessionIndex'] in record['sessionIndexes']]:
                    del SESSIONS[key]
            RECEIVED.append(record)
            if errors:
                return self.answer(400, 'refused: ' + ', '.join(errors))
            return self.redirect(url) if url else self.answer(200, 'signed out')
        return self.answer(404, 'not found')

    def do_POST(self):
        length = int(self.headers.get('Content-Length', '0'))
        post = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode('utf-8')))
        path = urllib.parse.urlsplit(self.path).path
        if path != '/acs':
            return self.answer(404, 'not found')
        auth = OneLogin_Saml2_Auth(self.request_data(post), SETTINGS)
        auth.process_response()
        errors = auth.get_errors()
        RECEIVED.append({'kind': 'Response', 'valid': not errors, 'errors': errors, 'reason': auth.get_last_error_reason()})
        if errors:
            return self.answer(400, 'refused: ' + ', '.join(errors))
        sid = secrets.token_urlsafe(16)
        SESSIONS[sid] = {'nameId': auth.get_nameid(), 'sessionIndex': auth.get_session_index()}
        return self.answer(200, '<!DOCTYPE html><title>python-sp</title><h1>Signed in to python-sp as %s</h1>' % auth.get_nameid(), {'Set-Cookie': 'py_sp=%s; Path=/; HttpOnly; SameSite=Lax' % sid})


server = ThreadingHTTPServer(('127.0.0.1', int(CONFIG.get('port', 0))), Handler)
print('listening %d' % server.server_address[1], flush=True)
server.serve_forever()
