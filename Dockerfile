# mock-entra: a local Microsoft Entra ID for tests.
#   docker build -t mock-entra .
#   docker run --rm -p 8443:8443 -v "$PWD/scenarios:/scenarios" mock-entra serve --scenario /scenarios/default.yaml

# Build stage: compile TypeScript with the dev dependencies.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm ci --no-audit --no-fund --ignore-scripts && npm run build

# Runtime stage: production dependencies and the compiled output only.
FROM node:22-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
# The shipped scenarios stay where the code looks for them; /scenarios is where users mount theirs.
COPY scenarios ./scenarios
RUN mkdir -p /scenarios && cp scenarios/*.yaml /scenarios/
# Keys are generated on first start into /certs (mount a volume to keep kids and the CA across runs).
RUN mkdir -p /certs && chown node:node /certs
USER node
EXPOSE 8443
VOLUME ["/certs"]
# Trusts both CAs the server may present: the everyday one, and the as-Microsoft mode's (MOCK_ENTRA_AS_MICROSOFT=true).
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD node -e "const f=require('fs'),ca=['/certs/ca.pem','/certs/as-microsoft/ca.pem'].filter(p=>f.existsSync(p)).map(p=>f.readFileSync(p));require('https').get({host:'127.0.0.1',port:8443,path:'/common/v2.0/.well-known/openid-configuration',ca},r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["serve", "--scenario", "/scenarios/default.yaml", "--host", "0.0.0.0", "--port", "8443", "--certs-dir", "/certs", "--log-format", "json"]
