#ifndef WARDENSYS_H
#define WARDENSYS_H

// Linux calls Swift's Glibc module does not expose (they are declared only under _GNU_SOURCE).

/// memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING); -errno on failure.
int wsys_sealable_memfd(const char *name);

/// Seals `fd` against writes, growth and shrinking, and against further seal changes
/// (F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL); 0 or -errno.
int wsys_seal_immutable(int fd);

/// The seals on `fd` (F_GET_SEALS), or -errno.
int wsys_get_seals(int fd);

/// 1 when `seals` (from wsys_get_seals) make the content immutable.
int wsys_seals_immutable(int seals);

#endif
