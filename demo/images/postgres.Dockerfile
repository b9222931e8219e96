# PostgreSQL from this machine's Debian packages, with an entry point that keeps the official
# postgres image's environment contract (POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB, PGDATA).
FROM scratch
ADD rootfs.tar /
ARG PG_MAJOR
ENV PATH=/usr/lib/postgresql/${PG_MAJOR}/bin:/usr/local/bin:/usr/bin:/bin PGDATA=/var/lib/postgresql/data LANG=C
LABEL org.opencontainers.image.title="docstown-postgres" org.opencontainers.image.version="${PG_MAJOR}"
USER postgres
VOLUME /var/lib/postgresql/data
# Fast shutdown: a clean checkpoint without waiting for clients to leave, as the official image.
STOPSIGNAL SIGINT
EXPOSE 5432
ENTRYPOINT ["/usr/local/bin/docker-entrypoint"]
CMD ["postgres"]
