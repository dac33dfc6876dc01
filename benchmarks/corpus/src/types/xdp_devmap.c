/* XDP program attached to devmap entries (xdp/devmap): runs on the egress device after a
 * redirect; rewrites the source MAC to the egress interface's, kept in a map. */
#include "bpf_types.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, struct { u8 mac[ETH_ALEN]; });
} egress_macs SEC(".maps");

SEC("xdp/devmap")
int xdp_devmap_egress(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	u32 ifindex = ctx->egress_ifindex;
	u8 *mac;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	mac = bpf_map_lookup_elem(&egress_macs, &ifindex);
	if (!mac)
		return XDP_PASS;
	__builtin_memcpy(eth->h_source, mac, ETH_ALEN);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
