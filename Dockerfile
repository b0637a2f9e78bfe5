# ssrd in a container. The build stage uses the project's own scripts, so it installs exactly the
# Debian packages a development machine gets (scripts/setup) and builds the same way (scripts/build);
# the runtime stage holds the runtime libraries, the installed programs, the application's bundle
# and its startup snapshot, and runs ssrd as a non-root user with its socket on a volume.
#
#   docker build -t ssrd .
#   docker run -v ssrd-socket:/run/ssrd ssrd        # share the volume with the app's container
#
# Not built on the development machine (it has no container engine): tests/packaging checks
# that the runtime packages below cover every library the binaries load and that each SSRD_*
# setting is a real ssrd option. docs/operations.md, "In a container".

FROM debian:bookworm AS build
WORKDIR /src
COPY . .
# scripts/build runs scripts/setup (Debian packages, V8 from libnode108/libnode-dev, npm ci),
# bundles the example app and compiles into build/.
RUN scripts/build && cmake --install build --prefix /opt/ssrd --strip

FROM debian:bookworm-slim
# What ssrd, ssrd-worker and ssrctl load (libc, libstdc++ and libgcc are in the base image).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libnode108 libuv1 libspdlog1.10 libfmt9 libsystemd0 libicu72 libseccomp2 \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin ssrd \
 && mkdir -p /run/ssrd /var/cache/ssrd \
 && chown ssrd:ssrd /run/ssrd /var/cache/ssrd
COPY --from=build /opt/ssrd/bin/ /usr/local/bin/
# The application's server bundle: the example app here; an application image copies its own.
COPY --from=build /src/examples/react-app/dist/ /srv/app/

# Configuration through SSRD_* (the lowest precedence: `docker run … ssrd --workers 4` wins).
# The drain fits in Docker's default 10 s stop grace period with the 3 s worker stop escalation;
# raise both together (docker stop -t / stop_grace_period).
ENV SSRD_BUNDLE=/srv/app/server.mjs \
    SSRD_SOCKET=/run/ssrd/ssrd.sock \
    SSRD_SNAPSHOT_DIR=/var/cache/ssrd \
    SSRD_DRAIN_TIMEOUT_MS=6000 \
    SSRD_NO_WATCH=true

USER ssrd
# The startup snapshot is built into the image, so a new container's workers are ready at once.
RUN ssrd snapshot /srv/app/server.mjs --snapshot-dir /var/cache/ssrd

# The socket, for the application's container (a sidecar sharing this volume).
VOLUME ["/run/ssrd"]
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
  CMD ["ssrctl", "ping", "--socket", "/run/ssrd/ssrd.sock"]
CMD ["ssrd"]
