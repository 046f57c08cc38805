#!/usr/bin/env bash
# Signs a user in to an OIDC app the way JumpServer does (authorization code flow, "Client Secret
# Basic"), without a browser: login_hint makes mock-entra sign the user in at once. Prints the
# ID token's claims and JumpServer's attribute mapping, or the Entra error that stopped the sign-in.
#
#   bash docs/examples/oidc-signin.sh [UPN] [CLIENT_SECRET]
#
# Environment (defaults: the default scenario at https://localhost:8443):
#   MOCK      https://localhost:8443                 CA        certs/ca.pem
#   TENANT    4b7d3a2e-6c1f-4e8a-9b5d-0f2c8e1a7d36   CLIENT    2f6c9e1a-8b3d-4c7e-a5f0-1d2e3f4a5b6c (sample-web)
#   REDIRECT  https://localhost:9443/core/auth/openid/callback/  (JumpServer's callback; nothing needs to listen there)
set -u
USER_UPN=${1:-ada@contoso.onmicrosoft.com}
SECRET=${2:-sample-web-secret}
MOCK=${MOCK:-https://localhost:8443}
CA=${CA:-certs/ca.pem}
TENANT=${TENANT:-4b7d3a2e-6c1f-4e8a-9b5d-0f2c8e1a7d36}
CLIENT=${CLIENT:-2f6c9e1a-8b3d-4c7e-a5f0-1d2e3f4a5b6c}
REDIRECT=${REDIRECT:-https://localhost:9443/core/auth/openid/callback/}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

unescape() { sed -e "s/&#39;/'/g" -e 's/&quot;/"/g' -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&amp;/\&/g'; }

# 1. The browser's part: /authorize, the sign-in, and the redirect back to the callback with ?code=…
#    curl follows redirects with a cookie jar and stops at the callback.
END=$(curl -sSL --cacert "$CA" -c "$TMP/jar" -b "$TMP/jar" -o "$TMP/page" -w '%{url_effective}' -G \
  --data-urlencode "client_id=$CLIENT" --data-urlencode "redirect_uri=$REDIRECT" \
  --data-urlencode "response_type=code" --data-urlencode "scope=openid profile email" \
  --data-urlencode "state=s1" --data-urlencode "nonce=n1" --data-urlencode "login_hint=$USER_UPN" \
  "$MOCK/$TENANT/oauth2/v2.0/authorize" 2>"$TMP/err")
case "$END" in
  "$REDIRECT"*) ;;
  *)
    if grep -q 'AADSTS' "$TMP/page" 2>/dev/null; then
      echo "sign-in stopped on Entra's error page: $(grep -o 'AADSTS[0-9]*: [^<]*' "$TMP/page" | head -1 | unescape)"
    else
      echo "sign-in failed: $(grep -v '^$' "$TMP/err" | head -1)"
    fi
    exit 1
    ;;
esac
query=${END#*\?}
param() { printf '%s' "$query" | tr '&' '\n' | sed -n "s/^$1=//p" | head -1; }
if [ -n "$(param error)" ]; then
  echo "sign-in came back with error=$(param error): $(node -e 'console.log(decodeURIComponent(process.argv[1].replace(/\+/g, " ")).split("\r\n")[0])' "$(param error_description)")"
  exit 1
fi
CODE=$(param code)

# 2. JumpServer's part: redeem the code at the token endpoint, authenticating with Client Secret Basic.
curl -sS --cacert "$CA" -u "$CLIENT:$SECRET" -o "$TMP/tokens.json" \
  -d grant_type=authorization_code --data-urlencode "code=$CODE" --data-urlencode "redirect_uri=$REDIRECT" \
  "$MOCK/$TENANT/oauth2/v2.0/token"

# 3. The ID token's claims, and what JumpServer's attribute mapping makes of them.
node -e '
const t = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
if (t.error) { console.log(`token request failed: ${t.error}: ${t.error_description.split("\r\n")[0]}`); process.exit(1); }
const [header, claims] = t.id_token.split(".").slice(0, 2).map((p) => JSON.parse(Buffer.from(p, "base64url")));
console.log(JSON.stringify(claims, null, 2));
console.log(`signed with RS256 key ${header.kid} (see the JWKS endpoint)`);
const ahead = claims.nbf - Math.floor(Date.now() / 1000);
if (ahead > 0) console.log(`nbf is ${ahead} s in the future: a client without clock tolerance rejects the token as not yet valid`);
const map = { name: "name", username: "preferred_username", email: "email" };
for (const [field, claim] of Object.entries(map)) console.log(`${field.padEnd(8)} <- ${claim.padEnd(18)} ${claims[claim] ?? "(missing: JumpServer cannot fill this field)"}`);
' "$TMP/tokens.json"
