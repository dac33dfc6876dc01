/* An object in iproute2's tc style: `tc filter add ... bpf da obj iproute2_tc.o sec
 * classifier`. Maps are `struct bpf_elf_map` in SEC("maps") (28 bytes, or 36 with the
 * inner-map fields), a program array fills tail-call slots named "ID/KEY", and the slot
 * programs take their type from the command line (--program-type sched_cls). */
#include "bpf_corpus.h"

#define PIN_NONE 0
#define PIN_GLOBAL_NS 2

/* iproute2's map definition: 7 words, then 2 more for map-in-map. */
struct bpf_elf_map {
	u32 type;
	u32 size_key;
	u32 size_value;
	u32 max_elem;
	u32 flags;
	u32 id;
	u32 pinning;
};

struct bpf_elf_map_inner {
	u32 type;
	u32 size_key;
	u32 size_value;
	u32 max_elem;
	u32 flags;
	u32 id;
	u32 pinning;
	u32 inner_id;
	u32 inner_idx;
};

#define JMP_MAP_ID 1

struct bpf_elf_map SEC("maps") jmp_tc = {
	.type = BPF_MAP_TYPE_PROG_ARRAY,
	.size_key = sizeof(u32),
	.size_value = sizeof(u32),
	.max_elem = 2,
	.id = JMP_MAP_ID,
	.pinning = PIN_GLOBAL_NS,
};

struct bpf_elf_map_inner SEC("maps") class_bytes = {
	.type = BPF_MAP_TYPE_ARRAY,
	.size_key = sizeof(u32),
	.size_value = sizeof(u64),
	.max_elem = 16,
	.pinning = PIN_NONE,
};

static long (*bpf_tail_call)(void *ctx, void *prog_array, u32 index) = (void *)12;

/* Tail-call slot 0 of map id 1: accounts the packet to class 0. */
SEC("1/0")
int slot_account(struct __sk_buff *skb)
{
	u32 key = 0;
	u64 *bytes = bpf_map_lookup_elem(&class_bytes, &key);

	if (bytes)
		__sync_fetch_and_add(bytes, skb->len);
	return TC_ACT_OK;
}

/* Tail-call slot 1 of map id 1: drops oversized packets. */
SEC("1/1")
int slot_police(struct __sk_buff *skb)
{
	return skb->len > 1500 ? TC_ACT_SHOT : TC_ACT_OK;
}

SEC("classifier")
int cls_entry(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return TC_ACT_OK;
	bpf_tail_call(skb, &jmp_tc, eth->h_proto == bpf_htons(ETH_P_IP) ? 0 : 1);
	return TC_ACT_OK;
}

SEC("action")
int act_mark(struct __sk_buff *skb)
{
	skb->mark = skb->len > 1000 ? 2 : 1;
	return TC_ACT_OK;
}

char __license[] SEC("license") = "GPL";
