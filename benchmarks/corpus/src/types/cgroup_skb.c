/* cgroup_skb ingress and egress: per-cgroup byte accounting keyed by direction, and an
 * egress policy that refuses UDP to port 53 except from root, reading the IPv4 header with
 * bpf_skb_load_bytes (the packet starts at the network header). 1 allows, 0 drops. */
#include "bpf_types.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, u32);
	__type(value, u64);
} bytes SEC(".maps");

static __always_inline void account(struct __sk_buff *skb, u32 direction)
{
	u64 *total = bpf_map_lookup_elem(&bytes, &direction);

	if (total)
		*total += skb->len;
}

SEC("cgroup_skb/ingress")
int cgroup_skb_count_ingress(struct __sk_buff *skb)
{
	account(skb, 0);
	return 1;
}

SEC("cgroup_skb/egress")
int cgroup_skb_dns_egress(struct __sk_buff *skb)
{
	struct {
		struct iphdr ip;
		struct udphdr udp;
	} hdr;

	account(skb, 1);
	if (skb->protocol != bpf_htons(ETH_P_IP))
		return 1;
	if (bpf_skb_load_bytes(skb, 0, &hdr, sizeof(hdr)) < 0)
		return 1;
	if (hdr.ip.ihl != 5 || hdr.ip.protocol != IPPROTO_UDP)
		return 1;
	if (hdr.udp.dest == bpf_htons(53) && bpf_get_socket_uid(skb) != 0)
		return 0;
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
