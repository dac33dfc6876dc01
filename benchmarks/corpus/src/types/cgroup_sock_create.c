/* cgroup/sock_create: refuses raw IPv4 sockets (SOCK_RAW) and marks every other socket
 * with the cgroup's mark, kept in a map. 1 allows, 0 refuses. */
#include "bpf_types.h"

#define SOCK_RAW 3

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u32);
} socket_mark SEC(".maps");

SEC("cgroup/sock_create")
int sock_create_policy(struct bpf_sock *sk)
{
	u32 zero = 0;
	u32 *mark;

	if (sk->family == AF_INET && sk->type == SOCK_RAW)
		return 0;
	mark = bpf_map_lookup_elem(&socket_mark, &zero);
	if (mark && *mark)
		sk->mark = *mark;
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
