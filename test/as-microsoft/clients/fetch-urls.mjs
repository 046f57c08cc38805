// Child process of hosts.test.ts: fetches the URLs given (JSON array of { url, method?, headers?, body? })
// where /etc/hosts maps Microsoft's names to the mock, and prints each answer (status, headers asked for, body).
const requests = JSON.parse(process.env.REQUESTS);
const out = [];
for (const r of requests) {
  const res = await fetch(r.url, { method: r.method ?? 'GET', headers: r.headers ?? {}, body: r.body, redirect: 'manual' });
  const text = await res.text();
  out.push({ url: r.url, status: res.status, location: res.headers.get('location'), contentType: res.headers.get('content-type'), wwwAuthenticate: res.headers.get('www-authenticate'), body: text });
}
process.stdout.write(`${JSON.stringify(out)}\n`);
