# The aigw data plane image: `aigw serve` on the config the constructs synthesize.
#
# Its contract lives in src/specs/runtime.ts (serveArgv(), PORTS, RUN_AS_USER, MOUNT_PATHS), and
# test/image/dockerfile.test.ts holds this file to it: the final stage's base, a numeric non-root
# USER, the EXPOSEd ports, and an ENTRYPOINT equal to serveArgv(). That test also runs that argv
# from an `npm pack` install of the package, as the runtime stage below installs it.
#
#   docker build -t ghcr.io/cdktf-ai-gateway/aigw:$(node -p "require('./package.json').version") .

# --- build: compile lib/ and pack the package exactly as npm would publish it -------------------
FROM node:20-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# No install script is needed to compile: skip them all.
RUN npm ci --ignore-scripts --no-audit --no-fund
# .npmignore must come along: without it `npm pack` falls back to .gitignore, which ignores lib/.
COPY tsconfig.json .npmignore README.md LICENSE ./
COPY src ./src
RUN npx tsc -p tsconfig.json \
 && mkdir /dist \
 && npm pack --pack-destination /dist --silent \
 && mv /dist/cdktf-ai-gateway-*.tgz /dist/cdktf-ai-gateway.tgz

# --- runtime: the packed package and its runtime dependencies only -----------------------------
FROM node:20-slim
LABEL org.opencontainers.image.source="https://github.com/cdktf-ai-gateway/cdktf-ai-gateway" \
      org.opencontainers.image.title="aigw" \
      org.opencontainers.image.description="The cdktf-ai-gateway data plane: aigw serve" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production
WORKDIR /opt/aigw
# A project install, not `npm install -g`: a global install pulls the peer dependencies
# (cdktf, constructs, @cdktf/provider-kubernetes) even with --omit=peer, and the data plane needs
# none of them. In a project, --omit=peer leaves them out (checked with npm 10.8 and 11).
COPY --from=build /dist/cdktf-ai-gateway.tgz /tmp/cdktf-ai-gateway.tgz
RUN echo '{"name":"aigw-image","private":true}' > package.json \
 && npm install --omit=dev --omit=peer --no-audit --no-fund /tmp/cdktf-ai-gateway.tgz \
 && rm /tmp/cdktf-ai-gateway.tgz \
 && npm cache clean --force \
 && groupadd --system --gid 10001 aigw \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin aigw
ENV PATH=/opt/aigw/node_modules/.bin:$PATH
# RUN_AS_USER: numeric, so that runAsNonRoot can verify it. Files above stay root-owned and read-only.
USER 10001:10001
# PORTS: traffic (HTTP), traffic (TLS), admin (/healthz, /readyz, /metrics).
EXPOSE 8080 8443 9901
# No HEALTHCHECK: Kubernetes probes the admin port. Node runs as PID 1 and `aigw serve` handles
# SIGTERM itself (drain, then exit 0). serveArgv(): --config and --secrets are the pod's mounts.
ENTRYPOINT ["aigw", "serve", "--config", "/etc/aigw/config", "--secrets", "/var/run/secrets/aigw", "--port", "8080", "--admin-port", "9901"]
