/* Socket filter: counts IPv4 packets per protocol and keeps only TCP and UDP, reading the
 * headers with bpf_skb_load_bytes (the packet starts at the network header). */
#include "bpf_types.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, u32);
	__type(value, u64);
} proto_count SEC(".maps");

SEC("socket")
int socket_proto_filter(struct __sk_buff *skb)
{
	struct iphdr ip;
	u32 key;
	u64 *count;

	if (skb->protocol != bpf_htons(ETH_P_IP))
		return 0;
	if (bpf_skb_load_bytes(skb, 0, &ip, sizeof(ip)) < 0)
		return 0;
	key = ip.protocol;
	count = bpf_map_lookup_elem(&proto_count, &key);
	if (count)
		__sync_fetch_and_add(count, 1);
	if (ip.protocol == IPPROTO_TCP || ip.protocol == IPPROTO_UDP)
		return skb->len;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
