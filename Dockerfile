# mock-entra: a local Microsoft Entra ID for tests (docs/docker.md).
#   docker build -t mock-entra .
#   docker run --rm -p 8443:8443 -v mock-entra-certs:/certs mock-entra serve --scenario /scenarios/first-test-failure.yaml --host 0.0.0.0 --certs-dir /certs
# The image's environment already says --host 0.0.0.0, --port 8443 and --certs-dir /certs
# (MOCK_ENTRA_HOST, MOCK_ENTRA_PORT, MOCK_ENTRA_CERTS_DIR): a command of your own may leave them
# out; options on the command line win. Keys are made in /certs on first start: keep the volume
# (or bind-mount a directory you own, with --user "$(id -u):$(id -g)") to keep the CA and the kids.

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
COPY docker/healthcheck.mjs ./docker/healthcheck.mjs
# The shipped scenarios stay where the code looks for them; /scenarios is where users mount theirs.
COPY scenarios ./scenarios
RUN mkdir -p /scenarios && cp scenarios/*.yaml /scenarios/
# Keys are generated on first start into /certs (mount a volume to keep kids and the CA across runs).
RUN mkdir -p /certs && chown node:node /certs
USER node
# serve's options as MOCK_ENTRA_* variables, so they hold for any command given to docker run
# (`serve --scenario …` alone listens on every interface and keeps its keys in /certs), for
# -e MOCK_ENTRA_PORT=… and for CI service containers, which cannot be given a command.
ENV MOCK_ENTRA_HOST=0.0.0.0 \
    MOCK_ENTRA_PORT=8443 \
    MOCK_ENTRA_CERTS_DIR=/certs \
    MOCK_ENTRA_SCENARIO=/scenarios/default.yaml \
    MOCK_ENTRA_LOG_FORMAT=json
EXPOSE 8443
VOLUME ["/certs"]
# GET /health where the server really listens: the port, host and TLS of its command line and of
# the MOCK_ENTRA_* variables (docker/healthcheck.mjs); any certificate is accepted, so the
# untrusted-tls scenario and --as-microsoft are healthy too.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["node", "/app/docker/healthcheck.mjs"]
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["serve"]
