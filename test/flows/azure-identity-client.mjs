// A workload as it would run in a pod: @azure/identity, configured by the environment alone
// (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE, AZURE_AUTHORITY_HOST). The one
// option in code is disableInstanceDiscovery: with an authority that is not a Microsoft host, MSAL
// asks login.microsoftonline.com's instance discovery whether to trust it (docs/workload-identity.md).
// Prints {"token"} or {"error"} as one JSON line.
import { DefaultAzureCredential, WorkloadIdentityCredential } from '@azure/identity';

const [kind, scope] = process.argv.slice(2);
const options = { disableInstanceDiscovery: true };
const credential = kind === 'default' ? new DefaultAzureCredential(options) : new WorkloadIdentityCredential(options);
try {
  const t = await credential.getToken(scope);
  process.stdout.write(`${JSON.stringify({ token: t.token, expiresOnTimestamp: t.expiresOnTimestamp })}\n`);
} catch (e) {
  process.stdout.write(`${JSON.stringify({ error: String(e?.message ?? e), name: e?.name })}\n`);
}
