/* Bounded loops: over packet bytes with a data_end check per iteration, a nested sort over a
 * stack array, and the bpf_loop helper with a callback. */
#include "bpf_corpus.h"

SEC("xdp")
int loop_packet_checksum(struct xdp_md *ctx)
{
	u8 *data = (void *)(long)ctx->data;
	u8 *data_end = (void *)(long)ctx->data_end;
	u32 sum = 0;
#pragma clang loop unroll(disable)
	for (int i = 0; i < 64; i++) {
		if (data + i + 1 > data_end)
			break;
		sum += data[i];
	}
	return (sum & 1) ? XDP_PASS : XDP_DROP;
}

SEC("socket")
int loop_stack_sort(struct __sk_buff *skb)
{
	u32 v[8];
	v[0] = skb->len;
	v[1] = skb->protocol;
	v[2] = skb->mark;
	v[3] = skb->priority;
	v[4] = skb->ifindex;
	v[5] = skb->hash;
	v[6] = skb->tc_index;
	v[7] = skb->queue_mapping;
#pragma clang loop unroll(disable)
	for (int i = 0; i < 8; i++) {
#pragma clang loop unroll(disable)
		for (int j = 0; j + 1 < 8 - i; j++) {
			if (v[j] > v[j + 1]) {
				u32 t = v[j];
				v[j] = v[j + 1];
				v[j + 1] = t;
			}
		}
	}
	/* Median of the eight fields, as a (meaningless but deterministic) snap length. */
	return v[4];
}

struct loop_ctx {
	u64 acc;
	u32 seed;
};

static long mix_step(u32 index, void *data)
{
	struct loop_ctx *c = data;
	c->seed = c->seed * 1103515245 + 12345;
	c->acc += c->seed ^ index;
	return c->acc > (1ULL << 40);
}

SEC("tc")
int loop_bpf_loop(struct __sk_buff *skb)
{
	struct loop_ctx c = { .acc = 0, .seed = skb->hash };
	bpf_loop(32, mix_step, &c, 0);
	skb->mark = (u32)c.acc;
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
