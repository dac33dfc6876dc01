/* kprobe: counts vfs_read calls per pid and remembers the largest requested size, read from
 * the third argument register. */
#include "bpf_types.h"

struct read_stat {
	u64 calls;
	u64 max_size;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u32);
	__type(value, struct read_stat);
} reads SEC(".maps");

SEC("kprobe/vfs_read")
int kprobe_vfs_read(struct pt_regs *ctx)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	u64 size = PT_REGS_PARM3(ctx);
	struct read_stat *stat = bpf_map_lookup_elem(&reads, &pid);

	if (!stat) {
		struct read_stat fresh = { .calls = 1, .max_size = size };
		bpf_map_update_elem(&reads, &pid, &fresh, BPF_NOEXIST);
		return 0;
	}
	__sync_fetch_and_add(&stat->calls, 1);
	if (size > stat->max_size)
		stat->max_size = size;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
