# syntax=docker/dockerfile:1
# The systemuser image: one static binary with every subcommand (gateway,
# simulator, migrate, seed, token, health, dev with DATABASE_URL).
#
#   docker build -t systemuser .        (or: make docker)
#   docker run --rm systemuser gateway -h
#
# The final stage is FROM scratch: no shell, no package manager; it runs as
# uid 65532 with a writable state directory (keys, demo.json) at
# /var/lib/systemuser. GO_IMAGE lets a mirror or a pinned digest stand in
# for the official Go image.
ARG GO_IMAGE=golang:1.26-bookworm

FROM ${GO_IMAGE} AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-trimpath
# Modules first, so a source change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# timetzdata: scratch has no zoneinfo for time.LoadLocation.
RUN go build -tags timetzdata -ldflags "-s -w" -o /out/systemuser ./cmd/systemuser \
 && mkdir -p /out/rootfs/tmp /out/rootfs/etc/ssl/certs /out/state \
 && chmod 1777 /out/rootfs/tmp \
 && cp /etc/ssl/certs/ca-certificates.crt /out/rootfs/etc/ssl/certs/ \
 && printf 'nonroot:x:65532:65532::/var/lib/systemuser:/sbin/nologin\n' >/out/rootfs/etc/passwd \
 && printf 'nonroot:x:65532:\n' >/out/rootfs/etc/group

FROM scratch
COPY --from=build /out/rootfs/ /
# Created by this COPY, so it gets the owner (a named volume mounted here
# starts with it too).
COPY --from=build --chown=65532:65532 /out/state/ /var/lib/systemuser/
COPY --from=build /out/systemuser /systemuser
ENV SYSTEMUSER_STATE_DIR=/var/lib/systemuser
# `dev` binds 127.0.0.1 unless told otherwise, which inside a container would
# make it unreachable: the image binds every interface on purpose (publish its
# ports on the host's loopback: -p 127.0.0.1:8080:8080). Only `dev` reads it.
ENV SYSTEMUSER_LISTEN_ALL=true
WORKDIR /var/lib/systemuser
USER 65532:65532
EXPOSE 8080 8090
ENTRYPOINT ["/systemuser"]
CMD ["help"]
