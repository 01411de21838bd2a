# syntax=docker/dockerfile:1
# The reference server image (`remoteler-server`), built from this repository:
#   docker build -t remoteler/remoteler-server:0.1.0 .
# Stage 1 installs the locked dependencies and builds every workspace; stage 2 carries only the
# built packages and their production dependencies, runs as an unprivileged numeric user, and has
# no npm, no sources and no build tools. Pin the base images by digest in your own builds.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
# Manifests first, so that the dependency layer is reused while only sources change. npm ci needs
# every workspace's package.json to reproduce package-lock.json exactly.
COPY package.json package-lock.json ./
COPY packages/ packages/
COPY examples/ examples/
COPY scripts/ scripts/
COPY tsconfig.base.json ./
RUN npm ci --no-audit --no-fund
RUN npm run build
# Production dependencies only, then the runtime tree: each workspace's package.json and dist
# (workspace packages are symlinked from node_modules/@remoteler, so their paths stay the same).
RUN npm prune --omit=dev --no-audit --no-fund \
 && mkdir -p /out \
 && cp -a package.json node_modules /out/ \
 && for dir in packages/* examples/*; do \
      if [ -d "$dir/dist" ]; then \
        mkdir -p "/out/$dir" && cp -a "$dir/package.json" "$dir/dist" "/out/$dir/"; \
        if [ -d "$dir/schema" ]; then cp -a "$dir/schema" "/out/$dir/"; fi; \
      fi; \
    done \
 && chmod 0755 /out/examples/reference-server/dist/bin.js

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and not writable by the server: the image's code cannot be changed at run time.
COPY --from=build /out/ /app/
RUN ln -s /app/examples/reference-server/dist/bin.js /usr/local/bin/remoteler-server \
 && mkdir -p /var/lib/remoteler /etc/remoteler \
 && chown 10001:10001 /var/lib/remoteler
# Unprivileged numeric user (not in /etc/passwd), so that Kubernetes' runAsNonRoot can verify it.
USER 10001:10001
# Web API and Kubernetes (Proxy), Auth API, plain-HTTP diagnostics (/healthz, /readyz, /metrics).
EXPOSE 3080 3025 3000
VOLUME ["/var/lib/remoteler"]
ENTRYPOINT ["remoteler-server"]
CMD ["start", "--config", "/etc/remoteler/remoteler.yaml"]
