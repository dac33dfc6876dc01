/* Unsafe twins of the program-type programs: each breaks one rule of its type's context
 * that its safe twin keeps, and must be refused (types.toml, verdict "fail"). */
#include "bpf_types.h"

/* xdp.c without the data_end check before reading the IPv4 header. */
SEC("xdp")
int twin_xdp_unchecked(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	return ip->protocol == IPPROTO_ICMP ? XDP_DROP : XDP_PASS;
}

/* cgroup_sockopt.c writing the option buffer without checking it against optval_end. */
SEC("cgroup/setsockopt")
int twin_sockopt_unchecked(struct bpf_sockopt *ctx)
{
	u8 *optval = ctx->optval;

	if (ctx->level == SOL_IP && ctx->optname == IP_TOS)
		optval[0] = 0;
	return 1;
}

/* cgroup_connect4.c writing user_family, which sock_addr programs may only read. */
SEC("cgroup/connect4")
int twin_connect4_family_write(struct bpf_sock_addr *ctx)
{
	ctx->user_family = AF_INET6;
	return 1;
}

/* lwt.c's lwt_in writing the packet: lwt_in and lwt_out may only read it. */
SEC("lwt_in")
int twin_lwt_in_write(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct iphdr *ip = data;

	if ((void *)(ip + 1) > data_end)
		return BPF_OK;
	ip->ttl = 1;
	return BPF_OK;
}

/* flow_dissector.c reading the ports without checking them against data_end. */
SEC("flow_dissector")
int twin_flow_dissector_ports(struct __sk_buff *skb)
{
	struct bpf_flow_keys *keys = skb->flow_keys;
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	u32 nhoff = keys->nhoff;
	struct iphdr *ip;
	be16 *ports;

	if (nhoff > 1500)
		return BPF_DROP;
	ip = data + nhoff;
	if ((void *)(ip + 1) > data_end)
		return BPF_DROP;
	ports = (void *)(ip + 1);
	keys->sport = ports[0];
	return BPF_OK;
}

/* sk_lookup writing local_port, which is read-only. */
SEC("sk_lookup")
int twin_sk_lookup_port_write(struct bpf_sk_lookup *ctx)
{
	ctx->local_port = 80;
	return SK_PASS;
}

char LICENSE[] SEC("license") = "GPL";
