/** Where an Entra path sits inside a tenant's provider (mounted at /{tenant}): without the tenant segment. */
export const providerPath = (path: string) => path.replace('/:tenant', '');
