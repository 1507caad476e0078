#ifndef WARDENBPF_H
#define WARDENBPF_H

#include <stdint.h>

// Thin wrappers around bpf(2) for the cgroup socket filter (CgroupSockFilter.swift). Each returns
// a descriptor or 0 on success and -errno on failure; nothing here interprets the result.

/// BPF_MAP_CREATE: a map of `map_type` with the given sizes, flags and name (up to 15 bytes).
int wsys_bpf_map_create(uint32_t map_type, uint32_t key_size, uint32_t value_size,
                        uint32_t max_entries, uint32_t map_flags, const char *name);

/// BPF_MAP_UPDATE_ELEM with `flags` (BPF_ANY, BPF_NOEXIST, BPF_EXIST).
int wsys_bpf_map_update(int map_fd, const void *key, const void *value, uint64_t flags);

/// BPF_MAP_LOOKUP_AND_DELETE_ELEM without a key: pops the oldest value of a queue map into
/// `value`. 0, or -ENOENT when empty.
int wsys_bpf_map_pop(int map_fd, void *value);

/// BPF_PROG_LOAD of `insn_cnt` 8-byte instructions. `log_size` 0 loads without a verifier log;
/// otherwise the verifier writes its log (NUL-terminated) into `log`.
int wsys_bpf_prog_load(uint32_t prog_type, uint32_t expected_attach_type, const void *insns,
                       uint32_t insn_cnt, const char *license, const char *name,
                       char *log, uint32_t log_size);

/// BPF_PROG_ATTACH of `prog_fd` to the cgroup directory `target_fd`.
int wsys_bpf_prog_attach(int target_fd, int prog_fd, uint32_t attach_type, uint32_t flags);

/// BPF_LINK_CREATE: attaches `prog_fd` to the cgroup directory `target_fd` through a link, which
/// only its descriptor can detach (closing the last one detaches). Returns the link descriptor.
int wsys_bpf_link_create(int prog_fd, int target_fd, uint32_t attach_type);

/// BPF_PROG_DETACH. A `prog_fd` that is not a program detaches whatever single program a
/// non-multi BPF_PROG_ATTACH holds; programs attached through links are never detached this way.
int wsys_bpf_prog_detach(int target_fd, int prog_fd, uint32_t attach_type);

/// BPF_PROG_QUERY (attached directly, not effective): on entry `*count` is the capacity of
/// `ids`; on return it is the number of programs attached (-ENOSPC when more than capacity).
int wsys_bpf_prog_query(int target_fd, uint32_t attach_type, uint32_t *attach_flags,
                        uint32_t *ids, uint32_t *count);

/// The kernel's id of the program behind `prog_fd` (BPF_OBJ_GET_INFO_BY_FD).
int wsys_bpf_prog_id(int prog_fd, uint32_t *id);

#endif
