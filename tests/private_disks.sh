#!/bin/sh
# Run "$@" as one MPI rank; every rank but 0 gets a private, empty disk at $ARENA_PRIVATE_DIR
# (its own mount namespace with a tmpfs over that folder), as on a cluster without a shared disk.
rank="${PMI_RANK:-${OMPI_COMM_WORLD_RANK:-0}}"
if [ "$rank" = 0 ]; then
    exec "$@"
fi
exec unshare --mount --propagation private sh -c 'mount -t tmpfs arena_private "$ARENA_PRIVATE_DIR" && exec "$@"' sh "$@"
