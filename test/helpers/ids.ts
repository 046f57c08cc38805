/** The fixed identifiers of scenarios/default.yaml (design.md). */
export const TENANT_ID = '4b7d3a2e-6c1f-4e8a-9b5d-0f2c8e1a7d36';
export const TENANT_DOMAIN = 'contoso.onmicrosoft.com';
export const WEB = {
  clientId: '2f6c9e1a-8b3d-4c7e-a5f0-1d2e3f4a5b6c',
  secret: 'sample-web-secret',
  redirectUri: 'http://localhost:3000/auth/callback',
  postLogoutRedirectUri: 'http://localhost:3000/',
};
export const API = { clientId: '7c1e4b2d-5a6f-4d8e-b9c0-2a3b4c5d6e7f', uri: 'api://sample-api', scope: 'access_as_user', role: 'Data.Read' };
export const CLI = { clientId: '9a8b7c6d-1e2f-4a3b-8c4d-5e6f7a8b9c0d' };
export const ADA = { upn: 'ada@contoso.onmicrosoft.com', password: 'Passw0rd!', name: 'Ada Lovelace' };
export const GRACE = { upn: 'grace@contoso.onmicrosoft.com', password: 'Passw0rd!', name: 'Grace Hopper' };
