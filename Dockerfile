# A container that runs maga on a cluster node: Debian 12 (bookworm) with Node 20, and everything
# setup.sh installs (OpenBLAS and oneDNN for the native CPU engine, Mesa's Vulkan for WebGPU, Bun
# and the JS dependencies, the built viewer). docs/cli.md ("On a Slurm cluster") shows it beside the
# sbatch example.
#
#   docker build -t maga .
#   apptainer build maga.sif docker-daemon://maga:latest     # Apptainer, from the image Docker built
#   MAGA_CLI="apptainer exec --bind $PWD/runs maga.sif bun /opt/maga/packages/cli/main.ts" \
#     bun run experiments blog-table --slurm …              # every task runs the CLI in the container
#
# For WebGPU on an NVIDIA GPU the container needs the driver's Vulkan ICD (nvidia_icd.json), which
# neither image has: Docker with `--gpus all -e NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics`,
# Apptainer with `--nv` and the host's ICD file bound in. Without it `auto` says so and trains on the
# CPU engine.
FROM node:20-bookworm-slim
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ca-certificates git >/dev/null && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/maga
COPY . .
RUN ./setup.sh && rm -rf /var/lib/apt/lists/*
ENV PATH=/opt/maga/node_modules/.bin:$PATH
ENTRYPOINT ["bun", "/opt/maga/packages/cli/main.ts"]
CMD ["--help"]
