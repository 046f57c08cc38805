// The fixed identifiers of scenarios/default.yaml (as test/helpers/ids.ts has them), which every
// reference server under bench/ answers with too.
export const TENANT = '4b7d3a2e-6c1f-4e8a-9b5d-0f2c8e1a7d36';
export const WEB = { clientId: '2f6c9e1a-8b3d-4c7e-a5f0-1d2e3f4a5b6c', secret: 'sample-web-secret', redirectUri: 'http://localhost:3000/auth/callback' };
export const API = { clientId: '7c1e4b2d-5a6f-4d8e-b9c0-2a3b4c5d6e7f', uri: 'api://sample-api', scope: 'access_as_user' };
export const ADA = { upn: 'ada@contoso.onmicrosoft.com', name: 'Ada Lovelace' };
