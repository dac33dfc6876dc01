/* Socket filters with legacy map definitions (the "maps" section) and legacy packet loads
 * (BPF_LD | BPF_ABS / BPF_IND), which clang emits for the llvm.bpf.load.* intrinsics. */
#include "bpf_corpus.h"

struct bpf_map_def SEC("maps") proto_hits = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(u32),
	.value_size = sizeof(u64),
	.max_entries = 256,
};

struct bpf_map_def SEC("maps") len_by_mark = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = sizeof(u32),
	.value_size = sizeof(u32),
	.max_entries = 128,
};

SEC("socket")
int legacy_counter(struct __sk_buff *skb)
{
	u32 proto = skb->protocol & 0xff;
	u64 *hits = bpf_map_lookup_elem(&proto_hits, &proto);
	if (hits)
		__sync_fetch_and_add(hits, 1);
	u32 mark = skb->mark;
	u32 len = skb->len;
	bpf_map_update_elem(&len_by_mark, &mark, &len, BPF_ANY);
	return skb->len;
}

SEC("socket")
int socket_ldabs(struct __sk_buff *skb)
{
	/* Keep IPv4 TCP packets to port 22; the IP header length comes from the packet. */
	if (load_half(skb, 12) != ETH_P_IP)
		return 0;
	if (load_byte(skb, 14 + 9) != IPPROTO_TCP)
		return 0;
	u64 ihl = (load_byte(skb, 14) & 0x0f) * 4;
	if (load_half(skb, 14 + ihl + 2) != 22)
		return 0;
	return -1;
}

char _license[] SEC("license") = "GPL";
