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

// ---- bpf(2) for the cgroup socket filter (wardenbpf.h) ----

#include <linux/bpf.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "wardenbpf.h"

static int wsys_bpf(int cmd, union bpf_attr *attr) {
    long r = syscall(__NR_bpf, cmd, attr, sizeof(*attr));
    return r < 0 ? -errno : (int)r;
}

static void wsys_copy_name(char dst[BPF_OBJ_NAME_LEN], const char *name) {
    if (name) strncpy(dst, name, BPF_OBJ_NAME_LEN - 1);
}

int wsys_bpf_map_create(uint32_t map_type, uint32_t key_size, uint32_t value_size,
                        uint32_t max_entries, uint32_t map_flags, const char *name) {
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.map_type = map_type;
    a.key_size = key_size;
    a.value_size = value_size;
    a.max_entries = max_entries;
    a.map_flags = map_flags;
    wsys_copy_name(a.map_name, name);
    return wsys_bpf(BPF_MAP_CREATE, &a);
}

int wsys_bpf_map_update(int map_fd, const void *key, const void *value, uint64_t flags) {
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.map_fd = (uint32_t)map_fd;
    a.key = (uint64_t)(uintptr_t)key;
    a.value = (uint64_t)(uintptr_t)value;
    a.flags = flags;
    return wsys_bpf(BPF_MAP_UPDATE_ELEM, &a);
}

int wsys_bpf_map_pop(int map_fd, void *value) {
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.map_fd = (uint32_t)map_fd;
    a.value = (uint64_t)(uintptr_t)value;
    return wsys_bpf(BPF_MAP_LOOKUP_AND_DELETE_ELEM, &a);
}

int wsys_bpf_prog_load(uint32_t prog_type, uint32_t expected_attach_type, const void *insns,
                       uint32_t insn_cnt, const char *license, const char *name,
                       char *log, uint32_t log_size) {
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.prog_type = prog_type;
    a.expected_attach_type = expected_attach_type;
    a.insns = (uint64_t)(uintptr_t)insns;
    a.insn_cnt = insn_cnt;
    a.license = (uint64_t)(uintptr_t)license;
    if (log && log_size > 0) {
        log[0] = 0;
        a.log_level = 1;
        a.log_buf = (uint64_t)(uintptr_t)log;
        a.log_size = log_size;
    }
    wsys_copy_name(a.prog_name, name);
    return wsys_bpf(BPF_PROG_LOAD, &a);
}

int wsys_bpf_prog_attach(int target_fd, int prog_fd, uint32_t attach_type, uint32_t flags) {
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.target_fd = (uint32_t)target_fd;
    a.attach_bpf_fd = (uint32_t)prog_fd;
    a.attach_type = attach_type;
    a.attach_flags = flags;
    return wsys_bpf(BPF_PROG_ATTACH, &a);
}

int wsys_bpf_prog_detach(int target_fd, int prog_fd, uint32_t attach_type) {
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.target_fd = (uint32_t)target_fd;
    a.attach_bpf_fd = (uint32_t)prog_fd;
    a.attach_type = attach_type;
    return wsys_bpf(BPF_PROG_DETACH, &a);
}

int wsys_bpf_prog_query(int target_fd, uint32_t attach_type, uint32_t *attach_flags,
                        uint32_t *ids, uint32_t *count) {
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.query.target_fd = (uint32_t)target_fd;
    a.query.attach_type = attach_type;
    a.query.prog_ids = (uint64_t)(uintptr_t)ids;
    a.query.prog_cnt = *count;
    int r = wsys_bpf(BPF_PROG_QUERY, &a);
    // The kernel writes the count back into the attr (also on -ENOSPC).
    *count = a.query.prog_cnt;
    if (attach_flags) *attach_flags = a.query.attach_flags;
    return r;
}

int wsys_bpf_prog_id(int prog_fd, uint32_t *id) {
    struct bpf_prog_info info;
    memset(&info, 0, sizeof(info));
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.info.bpf_fd = (uint32_t)prog_fd;
    a.info.info_len = sizeof(info);
    a.info.info = (uint64_t)(uintptr_t)&info;
    int r = wsys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a);
    if (r == 0) *id = info.id;
    return r;
}

int wsys_bpf_link_create(int prog_fd, int target_fd, uint32_t attach_type) {
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.link_create.prog_fd = (uint32_t)prog_fd;
    a.link_create.target_fd = (uint32_t)target_fd;
    a.link_create.attach_type = attach_type;
    return wsys_bpf(BPF_LINK_CREATE, &a);
}
