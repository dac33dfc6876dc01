/* tc classifier (SEC("tc")): sets skb->mark from a map keyed by the IPv4 DSCP, reading the
 * header through direct packet access, and rewrites the TOS byte with bpf_skb_store_bytes
 * when the map asks for remarking. */
#include "bpf_types.h"

struct dscp_policy {
	u32 mark;
	u8 new_tos;
	u8 remark;
	u16 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, struct dscp_policy);
} policies SEC(".maps");

SEC("tc")
int tc_dscp_mark(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	struct dscp_policy *policy;
	u32 dscp;

	if ((void *)(ip + 1) > data_end)
		return TC_ACT_OK;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	dscp = ip->tos >> 2;
	policy = bpf_map_lookup_elem(&policies, &dscp);
	if (!policy)
		return TC_ACT_OK;
	skb->mark = policy->mark;
	if (policy->remark) {
		u8 tos = policy->new_tos;
		bpf_skb_store_bytes(skb, sizeof(*eth) + 1, &tos, 1, 0);
	}
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
