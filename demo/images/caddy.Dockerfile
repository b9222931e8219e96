# Caddy built from its Go module, laid out like the official caddy image: /usr/bin/caddy with
# cap_net_bind_service=+ep (set with setcap in a build step, as the official Dockerfile does:
# a file capability does not survive COPY), XDG dirs /config and /data, the same default command.
FROM scratch
ADD rootfs.tar /
RUN ["/usr/sbin/setcap", "cap_net_bind_service=+ep", "/usr/bin/caddy"]
ARG CADDY_VERSION
LABEL org.opencontainers.image.title="docstown-caddy" org.opencontainers.image.version="${CADDY_VERSION}"
ENV XDG_CONFIG_HOME=/config XDG_DATA_HOME=/data PATH=/usr/local/bin:/usr/bin:/bin
VOLUME /config /data
EXPOSE 80 443 443/udp 2019
WORKDIR /srv
CMD ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]
