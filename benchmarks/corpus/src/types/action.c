/* tc action (SEC("action")): decrements the IPv4 TTL with an incremental checksum update
 * through bpf_csum_diff/bpf_skb_store_bytes, dropping packets whose TTL would reach 0. */
#include "bpf_types.h"

SEC("action")
int action_ttl_decrement(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	be32 old_word, new_word;
	s64 diff;
	u32 sum;
	u16 check;

	if ((void *)(ip + 1) > data_end)
		return TC_ACT_OK;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	if (ip->ttl <= 1)
		return TC_ACT_SHOT;
	__builtin_memcpy(&old_word, &ip->ttl, 4);
	new_word = old_word;
	((u8 *)&new_word)[0] -= 1;
	diff = bpf_csum_diff(&old_word, 4, &new_word, 4, ~((u32)ip->check) & 0xffff);
	if (diff < 0)
		return TC_ACT_OK;
	sum = (u32)diff;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	check = ~sum;
	bpf_skb_store_bytes(skb, sizeof(*eth) + 8, &new_word, 1, 0);
	bpf_skb_store_bytes(skb, sizeof(*eth) + 10, &check, 2, 0);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
