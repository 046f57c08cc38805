declare module '@authenio/xml-encryption';
