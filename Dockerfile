# Graft container image.
#   docker build -t graft .
#   docker run -p 8080:8080 -e HASURA_GRAPHQL_DATABASE_URL=... graft

# --- console -------------------------------------------------------------------
# The /console GraphiQL bundle (make console): npm is needed at build time only.
FROM node:20-bookworm-slim AS console
WORKDIR /src/proxy/console/web
COPY proxy/console/web/package.json proxy/console/web/package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
COPY proxy/console/web/ ./
RUN node build.mjs

# --- build ---------------------------------------------------------------------
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
COPY --from=console /src/proxy/console/static/build proxy/console/static/build
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/graft ./cmd/graft

# --- runtime -------------------------------------------------------------------
# debian-slim rather than distroless so that curl is available for health checks.
# postgresql-client brings pg_dump for /v1alpha1/pg_dump (graft migrate create
# --from-server, graft seed create --from-table); Graft picks the pg_dump whose
# major version matches the server under /usr/lib/postgresql/<N>/bin, so add
# postgresql-client-<N> from apt.postgresql.org when the server is newer than 15.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl postgresql-client \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 65532 graft \
 && useradd --system --uid 65532 --gid graft --home-dir /nonexistent --shell /usr/sbin/nologin graft
COPY --from=build /out/graft /graft
USER 65532:65532
ENV HASURA_GRAPHQL_SERVER_PORT=8080
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD curl -fsS http://localhost:8080/healthz || exit 1
ENTRYPOINT ["/graft", "serve"]
