// One process, unmodified clients: each job gets a token with a managed identity credential that
// finds the endpoint from the environment alone (the test sets IDENTITY_ENDPOINT + IDENTITY_HEADER,
// or AZURE_POD_IDENTITY_AUTHORITY_HOST, and NODE_EXTRA_CA_CERTS). Prints { job: { token } | { error } }.
//   node client.mjs '[{"name":"…","kind":"mi"|"dac"|"msal","options":{…},"scope":"…"}]'
const jobs = JSON.parse(process.argv[2] ?? '[]');
const results = {};
for (const job of jobs) {
  try {
    if (job.kind === 'msal') {
      const { ManagedIdentityApplication } = await import('@azure/msal-node');
      const app = new ManagedIdentityApplication(job.options);
      const r = await app.acquireToken({ resource: job.scope });
      results[job.name] = { token: r.accessToken, expiresOn: r.expiresOn.getTime(), source: app.getManagedIdentitySource() };
    } else {
      const identity = await import('@azure/identity');
      const credential = job.kind === 'dac' ? new identity.DefaultAzureCredential(job.options) : new identity.ManagedIdentityCredential(job.options);
      const r = await credential.getToken(job.scope);
      results[job.name] = { token: r.token, expiresOn: r.expiresOnTimestamp };
    }
  } catch (e) {
    results[job.name] = { error: { name: e.name, message: String(e.message) } };
  }
}
process.stdout.write(JSON.stringify(results));
