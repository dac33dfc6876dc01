/* sk_msg: redirects sendmsg data between local sockets found by 4-tuple in a sockhash (as
 * sockops inserted them), and applies the verdict to the whole message. */
#include "bpf_types.h"

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

#define BPF_F_INGRESS 1

SEC("sk_msg")
int sk_msg_redirect(struct sk_msg_md *msg)
{
	struct tuple peer = {
		.local_ip4 = msg->remote_ip4,
		.remote_ip4 = msg->local_ip4,
		.local_port = bpf_ntohl(msg->remote_port),
		.remote_port = msg->local_port,
	};

	if (msg->family != AF_INET)
		return SK_PASS;
	bpf_msg_apply_bytes(msg, msg->size);
	return bpf_msg_redirect_hash(msg, &sockets, &peer, BPF_F_INGRESS);
}

char LICENSE[] SEC("license") = "GPL";
