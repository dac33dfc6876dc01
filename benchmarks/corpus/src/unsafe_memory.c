/* Unsafe twins for memory safety: each program has exactly one intended fault. */
#include "bpf_corpus.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, u64);
} counters SEC(".maps");

struct slots {
	u64 slot[8];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct slots);
} slot_map SEC(".maps");

/* Twin of xdp_tcp_filter: checks room for the Ethernet header only, then reads the IPv4
 * protocol byte 9 bytes past it. */
SEC("xdp")
int xdp_read_past_end(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	struct iphdr *ip = (void *)(eth + 1);
	return ip->protocol == IPPROTO_TCP ? XDP_DROP : XDP_PASS;
}

/* Twin of the lookups in tc_classify: dereferences the lookup result without a NULL check. */
SEC("tc")
int map_null_deref(struct __sk_buff *skb)
{
	u32 key = skb->mark;
	u64 *count = bpf_map_lookup_elem(&counters, &key);
	*count += 1;
	return TC_ACT_OK;
}

/* Reads a stack slot that only one path writes. */
SEC("socket")
int stack_uninit_read(struct __sk_buff *skb)
{
	volatile u64 slots[2];
	slots[0] = skb->len;
	if (skb->mark)
		slots[1] = skb->mark;
	return slots[skb->protocol & 1];
}

/* Indexes the 8-slot map value with a 4-bit index. */
SEC("xdp")
int map_value_oob(struct xdp_md *ctx)
{
	u32 key = 0;
	struct slots *s = bpf_map_lookup_elem(&slot_map, &key);
	if (!s)
		return XDP_PASS;
	u32 index = ctx->rx_queue_index & 15;
	s->slot[index] += 1;
	return XDP_PASS;
}

/* Indexes a 4-slot stack array with a 3-bit index. */
SEC("socket")
int stack_oob(struct __sk_buff *skb)
{
	volatile u32 buf[4] = { 1, 2, 3, 4 };
	u32 index = skb->mark & 7;
	return buf[index];
}

/* The Collatz iteration: no bound is known on the number of steps. */
SEC("socket")
int loop_unbounded(struct __sk_buff *skb)
{
	u64 x = skb->hash | 1;
	u32 steps = 0;
	while (x != 1) {
		x = (x & 1) ? 3 * x + 1 : x / 2;
		steps++;
	}
	return steps;
}

char _license[] SEC("license") = "GPL";
