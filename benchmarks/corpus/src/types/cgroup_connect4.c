/* cgroup/connect4 (sock_addr): transparent service redirection: a connect to a virtual
 * address and port listed in a map is rewritten to a backend (user_ip4/user_port writes). */
#include "bpf_types.h"

struct service_key {
	be32 ip4;
	u32 port;
};

struct backend {
	be32 ip4;
	u32 port;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct service_key);
	__type(value, struct backend);
} services SEC(".maps");

SEC("cgroup/connect4")
int connect4_redirect(struct bpf_sock_addr *ctx)
{
	struct service_key key = {};
	struct backend *backend;

	if (ctx->user_family != AF_INET || ctx->protocol != IPPROTO_TCP)
		return 1;
	key.ip4 = ctx->user_ip4;
	key.port = ctx->user_port;
	backend = bpf_map_lookup_elem(&services, &key);
	if (!backend)
		return 1;
	ctx->user_ip4 = backend->ip4;
	ctx->user_port = backend->port;
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
