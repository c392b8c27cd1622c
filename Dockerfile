# mirq in a container. Build: docker build -t mirq .
# Run (CPU):  docker run --rm -v "$PWD":/data -w /data mirq quant ...
# Run (GPU):  docker run --rm --gpus all -v "$PWD":/data -w /data mirq quant --engine gpu ...
# With --gpus all the NVIDIA container toolkit mounts the driver, including its
# Vulkan ICD, into the container; libvulkan1 is the loader that finds it.

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
# ISA-L (gzip input) is built from source by isal-sys: nasm and autotools
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        nasm autoconf automake libtool make \
    && rm -rf /var/lib/apt/lists/*
# the same build command as CI (.ci/run) and the README
RUN cargo build --release --locked
# the release profile has no debug info; the image has no symbols either;
# the man pages: mirq.1 and one per subcommand (mirq-quant.1, ...)
RUN strip target/release/mirq && target/release/mirq man --dir target/man1

FROM debian:bookworm-slim
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libvulkan1 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/mirq /usr/local/bin/mirq
COPY --from=build /src/target/man1/ /usr/local/share/man/man1/
# What the NVIDIA container toolkit mounts from the host driver: "graphics" is
# the capability that carries the Vulkan driver (nvidia_icd.json and its
# libraries); compute and utility (nvidia-smi) alone would leave wgpu no
# Vulkan adapter.
ENV NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics
ENTRYPOINT ["mirq"]
