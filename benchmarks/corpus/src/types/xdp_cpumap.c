/* XDP program attached to cpumap entries (xdp/cpumap): runs on the remote cpu; passes IPv4
 * and IPv6, drops other ethertypes and counts drops per cpu. */
#include "bpf_types.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
} drops SEC(".maps");

SEC("xdp/cpumap")
int xdp_cpumap_filter(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	u32 zero = 0;
	u64 *count;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	if (eth->h_proto == bpf_htons(ETH_P_IP) || eth->h_proto == bpf_htons(ETH_P_IPV6))
		return XDP_PASS;
	count = bpf_map_lookup_elem(&drops, &zero);
	if (count)
		*count += 1;
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
