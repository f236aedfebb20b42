# kobo in a container: a static binary (pure-Go SQLite, no cgo) on a
# distroless base, running as a non-root user, with its SQLite database
# and key file in the /data volume when no DATABASE_URL is given.
#
#   docker build -t kobo --build-arg VERSION=v1.0.0 --build-arg COMMIT=$(git rev-parse HEAD) .
#   docker run -p 8080:8080 -v kobo-data:/data kobo
ARG GO_VERSION=1.27.3

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X github.com/kobo-oss/kobo/internal/cli.Version=${VERSION} -X github.com/kobo-oss/kobo/internal/cli.Commit=${COMMIT}" \
      -o /out/kobo ./cmd/kobo \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/kobo /usr/local/bin/kobo
COPY --from=build --chown=65532:65532 /out/data /data
COPY LICENSE NOTICE /usr/share/doc/kobo/
# distroless's nonroot user; the data volume is owned by it
USER 65532:65532
# listen on every interface inside the container; the operator listener
# (metrics, pprof) stays unpublished unless a port mapping asks for it
ENV KOBO_DATA_DIR=/data KOBO_ADDR=0.0.0.0:8080 KOBO_ADMIN_ADDR=0.0.0.0:9090
VOLUME /data
EXPOSE 8080 9090
ENTRYPOINT ["/usr/local/bin/kobo"]
CMD ["serve"]
