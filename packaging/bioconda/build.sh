#!/bin/bash
set -euxo pipefail

# Licences of the bundled Rust dependencies (about: license_file)
cargo-bundle-licenses --format yaml --output THIRDPARTY.yml

# The release profile (no debug info), its symbols stripped too
export CARGO_PROFILE_RELEASE_STRIP=symbols
cargo install --locked --no-track --root "${PREFIX}" --path .

# Man pages: mirq.1 and one per subcommand (mirq-quant.1, ...). The binary
# writes them, so a cross-compiled build (which cannot run it) has none.
if [[ "${CONDA_BUILD_CROSS_COMPILATION:-0}" != "1" ]]; then
    "${PREFIX}/bin/mirq" man --dir "${PREFIX}/share/man/man1"
fi
