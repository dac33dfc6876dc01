/* netfilter: a hook program that accepts everything while counting packets per cpu; the
 * context (state, skb) is only checked to be present. */
#include "bpf_types.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
} packets SEC(".maps");

SEC("netfilter")
int nf_count(struct bpf_nf_ctx *ctx)
{
	u32 zero = 0;
	u64 *count;

	if (!ctx->skb)
		return NF_ACCEPT;
	count = bpf_map_lookup_elem(&packets, &zero);
	if (count)
		*count += 1;
	return NF_ACCEPT;
}

char LICENSE[] SEC("license") = "GPL";
