/* bpf-to-bpf calls: a chain of static noinline subprograms, a global (non-static) function,
 * and two programs sharing the same section and the same subprograms. */
#include "bpf_corpus.h"

static __noinline u32 fold16(u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	return (sum & 0xffff) + (sum >> 16);
}

static __noinline u32 sum_words(const u16 *words, int count, const void *end)
{
	u32 sum = 0;
#pragma clang loop unroll(disable)
	for (int i = 0; i < 10; i++) {
		if (i >= count || (const void *)(words + i + 1) > end)
			break;
		sum += words[i];
	}
	return fold16(sum);
}

__noinline int ip_checksum_ok(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	if ((void *)(ip + 1) > data_end)
		return 0;
	return sum_words((const u16 *)ip, 10, data_end) == 0xffff;
}

SEC("tc")
int subprog_checksum(struct __sk_buff *skb)
{
	return ip_checksum_ok(skb) ? TC_ACT_OK : TC_ACT_SHOT;
}

SEC("tc")
int subprog_fold_mark(struct __sk_buff *skb)
{
	skb->mark = fold16(skb->hash + skb->len);
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
