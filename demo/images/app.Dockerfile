# The DocsTown demo image: the Rails runtime contract (brief, section 1) served by one static Go
# binary. Built by demo/build.sh from a root filesystem it assembles (no base image, no registry).
FROM scratch
ADD rootfs.tar /
ARG DEMO_VERSION
LABEL org.opencontainers.image.title="docstown-demo" org.opencontainers.image.version="${DEMO_VERSION}"
ENV PATH=/usr/local/bin:/usr/bin:/bin HTTP_PORT=80 TARGET_PORT=3000 REPOS_PATH=/data/repos
# The Rails image's `rails` user: whatever the app writes must be owned by 1000.
USER 1000:1000
WORKDIR /rails
EXPOSE 80
ENTRYPOINT ["/rails/bin/docker-entrypoint"]
CMD ["./bin/thrust", "./bin/rails", "server"]
