/* Lightweight tunnels: lwt_in drops IPv4 packets with options, lwt_out counts bytes per
 * route mark, lwt_xmit drops expired TTLs; the packet starts at the IP header. */
#include "bpf_types.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, u32);
	__type(value, u64);
} route_bytes SEC(".maps");

SEC("lwt_in")
int lwt_in_no_options(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct iphdr *ip = data;

	if ((void *)(ip + 1) > data_end)
		return BPF_OK;
	if (ip->version == 4 && ip->ihl > 5)
		return BPF_DROP;
	return BPF_OK;
}

SEC("lwt_out")
int lwt_out_account(struct __sk_buff *skb)
{
	u32 mark = skb->mark;
	u64 *total = bpf_map_lookup_elem(&route_bytes, &mark);

	if (total)
		__sync_fetch_and_add(total, skb->len);
	return BPF_OK;
}

SEC("lwt_xmit")
int lwt_xmit_ttl(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct iphdr *ip = data;

	if ((void *)(ip + 1) > data_end)
		return BPF_OK;
	if (ip->version == 4 && ip->ttl <= 1)
		return BPF_DROP;
	return BPF_OK;
}

char LICENSE[] SEC("license") = "GPL";
