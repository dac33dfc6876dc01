/* sk_reuseport: picks a socket of the reuseport group by the packet's 4-tuple hash, taking
 * the first byte of a UDP payload as an affinity hint when the packet carries one. */
#include "bpf_types.h"

struct {
	__uint(type, BPF_MAP_TYPE_REUSEPORT_SOCKARRAY);
	__uint(max_entries, 8);
	__type(key, u32);
	__type(value, u64);
} group SEC(".maps");

SEC("sk_reuseport")
int reuseport_pick(struct sk_reuseport_md *md)
{
	u8 *data = md->data;
	u8 *data_end = md->data_end;
	u32 index = md->hash % 8;

	if (md->ip_protocol == IPPROTO_UDP && data + sizeof(struct udphdr) + 1 <= data_end)
		index = data[sizeof(struct udphdr)] % 8;
	if (bpf_sk_select_reuseport(md, &group, &index, 0) == 0)
		return SK_PASS;
	return SK_DROP;
}

char LICENSE[] SEC("license") = "GPL";
