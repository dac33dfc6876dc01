/* fentry on tcp_v4_connect(struct sock *sk, struct sockaddr *uaddr, int addr_len): counts
 * connects per pid with the function's address (bpf_get_func_ip) as a sanity field. */
#include "bpf_types.h"

struct connect_stat {
	u64 count;
	u64 func_ip;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, u32);
	__type(value, struct connect_stat);
} connects SEC(".maps");

SEC("fentry/tcp_v4_connect")
int fentry_tcp_v4_connect(u64 *ctx)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	s32 addr_len = (s32)ctx[2];
	struct connect_stat *stat;

	if (addr_len < 16)
		return 0;
	stat = bpf_map_lookup_elem(&connects, &pid);
	if (stat) {
		__sync_fetch_and_add(&stat->count, 1);
		return 0;
	}
	struct connect_stat fresh = { .count = 1, .func_ip = bpf_get_func_ip(ctx) };
	bpf_map_update_elem(&connects, &pid, &fresh, BPF_ANY);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
