#!/usr/bin/env bash
# Regenerates Sources/SlipwayONNXProto/onnx-ml.pb.swift from ONNX's onnx-ml.proto. Run it only when
# moving to a new ONNX or swift-protobuf version: it builds swift-protobuf's protoc plugin (a few
# minutes) and needs protoc (Debian's protobuf-compiler) and the onnx package (for its .proto).
#   scripts/generate-onnx-proto.sh [PYTHON]   PYTHON: an interpreter with onnx installed (default .venv/bin/python)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
python=${1:-$root/.venv/bin/python}
version=$(sed -n 's/.*swift-protobuf", from: "\([0-9.]*\)".*/\1/p' "$root/Package.swift")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
command -v protoc >/dev/null || { echo "protoc not found: apt-get install protobuf-compiler" >&2; exit 1; }
git clone -q -b "$version" https://github.com/apple/swift-protobuf "$work/swift-protobuf"
swift build -c release --package-path "$work/swift-protobuf" --product protoc-gen-swift
proto=$("$python" -c 'import onnx, os; print(os.path.join(os.path.dirname(onnx.__file__), "onnx-ml.proto"))')
cp "$proto" "$work/onnx-ml.proto"
(cd "$work" && protoc --plugin=protoc-gen-swift="$work/swift-protobuf/.build/release/protoc-gen-swift" \
    --swift_out=. --swift_opt=Visibility=Public onnx-ml.proto)
cp "$work/onnx-ml.pb.swift" "$root/Sources/SlipwayONNXProto/onnx-ml.pb.swift"
echo "wrote Sources/SlipwayONNXProto/onnx-ml.pb.swift from onnx $("$python" -c 'import onnx; print(onnx.__version__)') and swift-protobuf $version"
