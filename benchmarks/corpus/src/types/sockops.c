/* sockops: on established connections, inserts the socket into a sockhash keyed by its
 * 4-tuple (for sk_msg redirection) and asks for RTT callbacks; RTT samples are kept per
 * remote address. */
#include "bpf_types.h"

#define BPF_SOCK_OPS_RTT_CB 12

struct tuple {
	u32 local_ip4;
	u32 remote_ip4;
	u32 local_port;
	u32 remote_port;
};

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, 1024);
	__type(key, struct tuple);
	__type(value, u64);
} sockets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u32);
	__type(value, u32);
} last_rtt SEC(".maps");

SEC("sockops")
int sockops_track(struct bpf_sock_ops *skops)
{
	u32 op = skops->op;

	if (skops->family != AF_INET)
		return 1;
	if (op == BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB || op == BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB) {
		struct tuple key = {
			.local_ip4 = skops->local_ip4,
			.remote_ip4 = skops->remote_ip4,
			.local_port = skops->local_port,
			.remote_port = bpf_ntohl(skops->remote_port),
		};
		bpf_sock_hash_update(skops, &sockets, &key, BPF_NOEXIST);
		bpf_sock_ops_cb_flags_set(skops, skops->bpf_sock_ops_cb_flags | BPF_SOCK_OPS_RTT_CB_FLAG);
	} else if (op == BPF_SOCK_OPS_RTT_CB) {
		u32 remote = skops->remote_ip4;
		u32 srtt = skops->srtt_us >> 3;
		bpf_map_update_elem(&last_rtt, &remote, &srtt, BPF_ANY);
	}
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
