#!/bin/bash
set -euxo pipefail

# Licences of the bundled Rust dependencies (about: license_file)
cargo-bundle-licenses --format yaml --output THIRDPARTY.yml

cargo install --locked --no-track --root "${PREFIX}" --path .
