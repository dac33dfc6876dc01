/* XDP packet parsing: Ethernet (with one optional VLAN tag), IPv4 with a variable header
 * length, TCP; and IPv6 hop-limit handling. Every header access is preceded by a data_end
 * comparison, as the kernel verifier demands. */
#include "bpf_corpus.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 256);
	__type(key, u32);
	__type(value, u64);
} proto_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u16);
	__type(value, u32);
} blocked_ports SEC(".maps");

static __always_inline void count_proto(u32 proto)
{
	u64 *count = bpf_map_lookup_elem(&proto_counts, &proto);
	if (count)
		*count += 1;
}

SEC("xdp")
int xdp_tcp_filter(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	u16 proto = eth->h_proto;
	void *next = eth + 1;
	if (proto == bpf_htons(ETH_P_8021Q)) {
		struct vlan_hdr *vlan = next;
		if ((void *)(vlan + 1) > data_end)
			return XDP_DROP;
		proto = vlan->encapsulated_proto;
		next = vlan + 1;
	}
	if (proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	struct iphdr *ip = next;
	if ((void *)(ip + 1) > data_end)
		return XDP_DROP;
	u32 ihl_bytes = ip->ihl * 4;
	if (ihl_bytes < sizeof(*ip))
		return XDP_DROP;
	count_proto(ip->protocol);
	if (ip->protocol != IPPROTO_TCP)
		return XDP_PASS;
	struct tcphdr *tcp = (void *)ip + ihl_bytes;
	if ((void *)(tcp + 1) > data_end)
		return XDP_DROP;
	u16 dport = bpf_ntohs(tcp->dest);
	u32 *blocked = bpf_map_lookup_elem(&blocked_ports, &dport);
	if (blocked) {
		*blocked += 1;
		return XDP_DROP;
	}
	if (tcp->syn && !tcp->ack && dport == 23)
		return XDP_DROP;
	return XDP_PASS;
}

SEC("xdp")
int xdp_ipv6_hop(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	if (eth->h_proto != bpf_htons(ETH_P_IPV6))
		return XDP_PASS;
	struct ipv6hdr *ip6 = (void *)(eth + 1);
	if ((void *)(ip6 + 1) > data_end)
		return XDP_DROP;
	if (ip6->hop_limit <= 1)
		return XDP_DROP;
	ip6->hop_limit--;
	count_proto(ip6->nexthdr);
	/* Swap the MAC addresses and bounce the frame back out. */
	u8 tmp[ETH_ALEN];
	__builtin_memcpy(tmp, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, tmp, ETH_ALEN);
	return XDP_TX;
}

SEC("xdp")
int xdp_udp_dns(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);
	/* One check covers all three fixed-size headers (options are not allowed here). */
	if ((void *)(udp + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5 || ip->protocol != IPPROTO_UDP)
		return XDP_PASS;
	if (udp->dest != bpf_htons(53))
		return XDP_PASS;
	u8 *qr = (u8 *)(udp + 1) + 2;
	if ((void *)(qr + 1) > data_end)
		return XDP_DROP;
	/* Drop DNS responses arriving on the query port. */
	return (*qr & 0x80) ? XDP_DROP : XDP_PASS;
}

char _license[] SEC("license") = "GPL";
