# Child process of hosts.test.ts: MSAL Python (Debian's python3-msal) as an app uses it against Entra,
# run where /etc/hosts maps Microsoft's names to the mock. Its username/password flow first asks
# https://login.microsoftonline.com/common/userrealm/<user> on port 443. Prints one JSON line.
import json
import os
import sys

import msal

app = msal.PublicClientApplication(os.environ["CLIENT_ID"], authority="https://login.microsoftonline.com/" + os.environ["TENANT_ID"])
result = app.acquire_token_by_username_password(os.environ["USER_NAME"], os.environ["PASSWORD"], scopes=["api://sample-api/access_as_user"])
accounts = app.get_accounts()
json.dump({"result": result, "accounts": accounts}, sys.stdout)
sys.stdout.write("\n")
