/* flow_dissector: dissects IPv4 + TCP/UDP from flow_keys->nhoff with direct packet reads,
 * filling the flow keys (addresses, protocol, ports, transport offset). nhoff is bounded
 * first: the kernel marks a packet range only for offsets that stay below 64 KiB. */
#include "bpf_types.h"

SEC("flow_dissector")
int dissect_ipv4(struct __sk_buff *skb)
{
	struct bpf_flow_keys *keys = skb->flow_keys;
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	u32 nhoff = keys->nhoff;
	struct iphdr *ip;
	be16 *ports;
	u32 ihl;

	if (nhoff > 1500)
		return BPF_DROP;
	ip = data + nhoff;

	if (keys->n_proto != bpf_htons(ETH_P_IP))
		return BPF_DROP;
	if ((void *)(ip + 1) > data_end)
		return BPF_DROP;
	ihl = ip->ihl * 4;
	if (ihl < sizeof(*ip))
		return BPF_DROP;
	keys->addr_proto = ETH_P_IP;
	keys->ipv4_src = ip->saddr;
	keys->ipv4_dst = ip->daddr;
	keys->ip_proto = ip->protocol;
	keys->is_frag = !!(ip->frag_off & bpf_htons(0x3fff));
	keys->thoff = nhoff + ihl;
	if (keys->is_frag)
		return BPF_OK;
	if (ip->protocol != IPPROTO_TCP && ip->protocol != IPPROTO_UDP)
		return BPF_OK;
	ports = (void *)ip + ihl;
	if ((void *)(ports + 2) > data_end)
		return BPF_DROP;
	keys->sport = ports[0];
	keys->dport = ports[1];
	return BPF_OK;
}

char LICENSE[] SEC("license") = "GPL";
