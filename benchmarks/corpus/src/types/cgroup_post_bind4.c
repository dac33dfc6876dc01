/* cgroup/post_bind4: refuses binds to privileged TCP ports by non-root users, after the
 * kernel has chosen the address (src_ip4 and src_port are final here). */
#include "bpf_types.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 128);
	__type(key, u32);
	__type(value, u64);
} bound_ports SEC(".maps");

SEC("cgroup/post_bind4")
int post_bind4_ports(struct bpf_sock *sk)
{
	u32 port = sk->src_port;
	u32 uid = (u32)bpf_get_current_uid_gid();
	u64 *count;

	if (sk->protocol == IPPROTO_TCP && port < 1024 && uid != 0)
		return 0;
	count = bpf_map_lookup_elem(&bound_ports, &port);
	if (count)
		__sync_fetch_and_add(count, 1);
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
