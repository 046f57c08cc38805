#!/usr/bin/python3
"""python3-saml (Debian's python3-onelogin-saml2) in strict mode as the service provider.

Reads one JSON document on stdin:
  {"settings": {...python3-saml settings...}, "acs": "http://localhost:3000/saml/acs",
   "cases": [{"name": "...", "response": "<base64 SAMLResponse>", "requestId": "_id or null"}]}
and prints one JSON list: for each case, {"name", "errors", "reason", "authenticated", "nameId", "attributes"},
as an application using OneLogin_Saml2_Auth.process_response would see it. Responses whose IDs the
script saw before in the batch are refused, as the toolkit's documentation tells applications to do
(get_last_message_id / get_last_assertion_id against a replay cache).
"""
import json
import sys
from urllib.parse import urlparse

from onelogin.saml2.auth import OneLogin_Saml2_Auth


def request_data(acs, response):
    u = urlparse(acs)
    return {
        "https": "on" if u.scheme == "https" else "off",
        "http_host": u.hostname,
        "server_port": str(u.port or (443 if u.scheme == "https" else 80)),
        "script_name": u.path,
        "get_data": {},
        "post_data": {"SAMLResponse": response},
    }


def main():
    job = json.load(sys.stdin)
    seen = set()
    out = []
    for case in job["cases"]:
        result = {"name": case["name"], "errors": [], "reason": None, "authenticated": False, "nameId": None, "attributes": None}
        try:
            auth = OneLogin_Saml2_Auth(request_data(job["acs"], case["response"]), job["settings"])
            auth.process_response(request_id=case.get("requestId"))
            result["errors"] = auth.get_errors()
            result["reason"] = auth.get_last_error_reason()
            if not result["errors"]:
                ids = (auth.get_last_message_id(), auth.get_last_assertion_id())
                if any(i in seen for i in ids if i):
                    result["errors"] = ["replayed"]
                    result["reason"] = "a Response or Assertion ID seen before (replay)"
                seen.update(i for i in ids if i)
            if not result["errors"]:
                result["authenticated"] = auth.is_authenticated()
                result["nameId"] = auth.get_nameid()
                result["attributes"] = auth.get_attributes()
        except Exception as e:  # the toolkit raises for some inputs instead of recording an error
            result["errors"] = result["errors"] or ["exception"]
            result["reason"] = "%s: %s" % (type(e).__name__, e)
        out.append(result)
    json.dump(out, sys.stdout)


main()
