/* sk_skb stream parser and verdict: the parser frames messages by a 4-byte length prefix
 * (bounds-checked direct read); the verdict redirects messages whose first byte names a
 * slot of a sockmap, and passes the others. */
#include "bpf_types.h"

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 16);
	__type(key, u32);
	__type(value, u64);
} peers SEC(".maps");

SEC("sk_skb/stream_parser")
int sk_skb_parser(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	be32 *prefix = data;
	u32 len;

	if ((void *)(prefix + 1) > data_end)
		return skb->len;
	len = bpf_ntohl(*prefix);
	if (len > 65536)
		return skb->len;
	return len + 4;
}

SEC("sk_skb/stream_verdict")
int sk_skb_verdict(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	u8 *first = data;

	if ((void *)(first + 1) > data_end)
		return SK_PASS;
	if (*first >= 16)
		return SK_PASS;
	return bpf_sk_redirect_map(skb, &peers, *first, 0);
}

char LICENSE[] SEC("license") = "GPL";
