/* Maps of maps. A BTF-defined array of maps (`__array(values, ...)`) whose slots the object
 * fills (`.values = { ... }`), and a legacy hash of maps in samples/bpf's layout of
 * struct bpf_map_def, whose inner_map_idx names the template. A lookup in the outer map
 * gives an inner map (or NULL), which later lookups take as their map argument. */
#include "bpf_corpus.h"

#define BPF_MAP_TYPE_ARRAY_OF_MAPS 12
#define BPF_MAP_TYPE_HASH_OF_MAPS 13

struct inner_counts {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, u64);
} counts_in SEC(".maps"), counts_out SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, u32);
	__type(value, u32);
	__array(values, struct inner_counts);
} counts_by_dir SEC(".maps") = {
	.values = { [0] = &counts_in, [1] = &counts_out },
};

/* samples/bpf's definition: inner_map_idx is the index of the template in this section. */
struct samples_map_def {
	u32 type, key_size, value_size, max_entries, map_flags, inner_map_idx, numa_node;
};

struct samples_map_def SEC("maps") flow_template = { BPF_MAP_TYPE_HASH, 4, 16, 64, 0, 0, 0 };
struct samples_map_def SEC("maps") flows_by_queue = { BPF_MAP_TYPE_HASH_OF_MAPS, 4, 4, 8, 0, 0, 0 };

SEC("xdp")
int xdp_count_by_dir(struct xdp_md *ctx)
{
	u32 dir = ctx->ingress_ifindex & 1;
	void *counts = bpf_map_lookup_elem(&counts_by_dir, &dir);
	if (!counts)
		return XDP_PASS;
	u32 slot = ctx->rx_queue_index & 3;
	u64 *count = bpf_map_lookup_elem(counts, &slot);
	if (count)
		__sync_fetch_and_add(count, 1);
	return XDP_PASS;
}

SEC("xdp")
int xdp_count_past_inner(struct xdp_md *ctx)
{
	u32 dir = ctx->ingress_ifindex & 1;
	void *counts = bpf_map_lookup_elem(&counts_by_dir, &dir);
	if (!counts)
		return XDP_PASS;
	u32 slot = ctx->rx_queue_index & 3;
	u64 *count = bpf_map_lookup_elem(counts, &slot);
	if (count)
		return count[1] & 1 ? XDP_DROP : XDP_PASS; /* the inner value has 8 bytes */
	return XDP_PASS;
}

SEC("xdp")
int xdp_legacy_flows(struct xdp_md *ctx)
{
	u32 queue = ctx->rx_queue_index;
	void *flows = bpf_map_lookup_elem(&flows_by_queue, &queue);
	if (!flows)
		return XDP_PASS;
	u64 *flow = bpf_map_lookup_elem(flows, &queue);
	if (flow)
		return flow[1] & 1 ? XDP_DROP : XDP_PASS; /* the template's value has 16 bytes */
	return XDP_PASS;
}
