#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include "wardensys.h"

#define IMMUTABLE (F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL)

int wsys_sealable_memfd(const char *name) {
    int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    return fd < 0 ? -errno : fd;
}

int wsys_seal_immutable(int fd) {
    return fcntl(fd, F_ADD_SEALS, IMMUTABLE) == 0 ? 0 : -errno;
}

int wsys_get_seals(int fd) {
    int s = fcntl(fd, F_GET_SEALS);
    return s < 0 ? -errno : s;
}

int wsys_seals_immutable(int seals) {
    return seals >= 0 && (seals & IMMUTABLE) == IMMUTABLE;
}
