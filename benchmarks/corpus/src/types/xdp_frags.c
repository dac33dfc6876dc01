/* Multi-buffer XDP (xdp.frags): the linear part may hold less than the headers, so the
 * program reads them with bpf_xdp_load_bytes and uses bpf_xdp_get_buff_len for the whole
 * frame; jumbo UDP frames above a limit are dropped. */
#include "bpf_types.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u32);
} udp_limit SEC(".maps");

SEC("xdp.frags")
int xdp_frags_jumbo(struct xdp_md *ctx)
{
	struct {
		struct ethhdr eth;
		struct iphdr ip;
	} __attribute__((packed)) hdr;
	u32 zero = 0;
	u32 *limit;
	u64 len = bpf_xdp_get_buff_len(ctx);

	if (bpf_xdp_load_bytes(ctx, 0, &hdr, sizeof(hdr)) < 0)
		return XDP_PASS;
	if (hdr.eth.h_proto != bpf_htons(ETH_P_IP) || hdr.ip.protocol != IPPROTO_UDP)
		return XDP_PASS;
	limit = bpf_map_lookup_elem(&udp_limit, &zero);
	if (limit && *limit && len > *limit)
		return XDP_DROP;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
