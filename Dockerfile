# syntax=docker/dockerfile:1
# batchinfer worker as an AWS Lambda container image (provided.al2023).
#
#   docker buildx build --platform linux/arm64 --build-arg MODELS="ppocr-rec iris-rf" -t batchinfer .
#
# The CDK app (infra/) builds this file as an image asset at deploy time.
# ONNX Runtime comes from one of two sources (ORT_SOURCE):
#   context (default): .cache/ort/linux-$TARGETARCH/libonnxruntime.so.1, written
#            by `go tool task setup` from the npm package onnxruntime-node and
#            verified here against tools/checksums.sha256;
#   release: the official GitHub release tarball for ORT_VERSION, verified
#            against ORT_SHA256_AMD64 / ORT_SHA256_ARM64, which you must set.
# Base images are pinned to exact tags (provided:al2023.2026.02.27.21 is a
# published tag; check for a newer one, or pin its digest, when you bump it).

ARG GO_IMAGE=golang:1.26.8-bookworm
ARG LAMBDA_IMAGE=public.ecr.aws/lambda/provided:al2023.2026.02.27.21
ARG ORT_SOURCE=context

# ---- build: the bootstrap binary (cgo, for onnxruntime_go) ----
FROM ${GO_IMAGE} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/root/go/pkg/mod go mod download
COPY . .
# lambda.norpc drops the legacy net/rpc path; the binary runs the Lambda
# handler when AWS_LAMBDA_RUNTIME_API is set.
RUN --mount=type=cache,target=/root/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=1 go build -trimpath -tags lambda.norpc -ldflags="-s -w" -o /out/bootstrap ./cmd/batchinfer

# ---- ort-context: the library setup fetched, checked against the pinned sha256 ----
FROM ${GO_IMAGE} AS ort-context
ARG TARGETARCH
WORKDIR /ort
COPY tools/checksums.sha256 ./checksums.sha256
COPY .cache/ort/linux-${TARGETARCH}/libonnxruntime.so.1 ./ort/linux-${TARGETARCH}/libonnxruntime.so.1
RUN grep " ort/linux-${TARGETARCH}/libonnxruntime.so.1\$" checksums.sha256 > want.sha256 \
    && sha256sum --strict -c want.sha256 \
    && mkdir -p /out/lib && cp ort/linux-${TARGETARCH}/libonnxruntime.so.1 /out/lib/libonnxruntime.so.1

# ---- ort-release: the upstream release tarball, by version and sha256 ----
FROM ${GO_IMAGE} AS ort-release
ARG TARGETARCH
ARG ORT_VERSION=1.24.3
ARG ORT_SHA256_AMD64=
ARG ORT_SHA256_ARM64=
WORKDIR /ort
RUN set -eu; \
    case "${TARGETARCH}" in \
      amd64) arch=x64;     sum="${ORT_SHA256_AMD64}" ;; \
      arm64) arch=aarch64; sum="${ORT_SHA256_ARM64}" ;; \
      *) echo "unsupported TARGETARCH ${TARGETARCH}" >&2; exit 1 ;; \
    esac; \
    [ -n "$sum" ] || { echo "set --build-arg ORT_SHA256_$(echo ${TARGETARCH} | tr a-z A-Z) to the release's sha256" >&2; exit 1; }; \
    name="onnxruntime-linux-${arch}-${ORT_VERSION}"; \
    curl -fsSLo ort.tgz "https://github.com/microsoft/onnxruntime/releases/download/v${ORT_VERSION}/${name}.tgz"; \
    echo "${sum}  ort.tgz" | sha256sum --strict -c -; \
    tar -xzf ort.tgz; \
    mkdir -p /out/lib; \
    cp -L "${name}/lib/libonnxruntime.so.${ORT_VERSION}" /out/lib/libonnxruntime.so.1

FROM ort-${ORT_SOURCE} AS ort

# ---- models: optional, baked into /opt/models, each file sha256-checked ----
FROM ${GO_IMAGE} AS models
# Space-separated folder names under .cache/models, e.g. "ppocr-rec iris-rf"; empty bakes none.
ARG MODELS=""
WORKDIR /m
COPY tools/checksums.sha256 ./checksums.sha256
COPY .cache/models/ ./models/
RUN set -eu; mkdir -p /out/models; \
    for m in ${MODELS}; do \
      [ -f "models/$m/manifest.json" ] || { echo "model $m: models/$m/manifest.json missing (run go tool task setup)" >&2; exit 1; }; \
      grep " models/$m/" checksums.sha256 | sha256sum --strict -c -; \
      cp -r "models/$m" /out/models/; \
    done

# ---- final: the Lambda OS-only base for the target architecture ----
FROM ${LAMBDA_IMAGE}
# libstdc++ is what libonnxruntime.so needs beyond glibc; install it if the
# base lacks it (a no-op when present).
RUN dnf install -y libstdc++ libgcc && dnf clean all
COPY --from=ort /out/lib/libonnxruntime.so.1 /opt/lib/libonnxruntime.so.1
COPY --from=models /out/models/ /opt/models/
COPY --from=build /out/bootstrap /var/runtime/bootstrap
ENV ONNXRUNTIME_LIB=/opt/lib/libonnxruntime.so.1
# The base image's /lambda-entrypoint.sh starts /var/runtime/bootstrap (or,
# outside Lambda, the runtime interface emulator around it); CMD is the
# handler name it requires, passed to the bootstrap as _HANDLER.
CMD ["batchinfer"]
